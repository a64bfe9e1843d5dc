import io

import orjson
import pytest
from oslo_config import cfg

from stacktach_ng.api import login
from tests import base


def call(app, body, method='POST'):
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured['status'] = status
        captured['headers'] = dict(headers)

    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': login.PATH,
               'CONTENT_LENGTH': str(len(raw)), 'wsgi.input': io.BytesIO(raw)}
    out = b''.join(app(environ, start_response))
    return int(captured['status'].split()[0]), captured['headers'], \
        orjson.loads(out)


@pytest.mark.parametrize('body,message', [
    (b'not json', 'the body must be a JSON object'),
    (b'[1]', 'the body must be a JSON object'),
    (b'{"password": "p", "project_name": "x"}', 'username: is required'),
    (b'{"username": "u", "project_name": "x"}', 'password: is required'),
    (b'{"username": "u", "password": "p"}', 'project_name: a project'),
    (b'{"username": 3, "password": "p", "project_id": "x"}',
     'username: must be a string'),
])
def test_bad_bodies(body, message):
    with pytest.raises(ValueError) as raised:
        login.parse_credentials(body)
    assert raised.value.args[0].startswith(message)


def test_credentials():
    assert login.parse_credentials(
        b'{"username": "u", "password": "p", "project_id": "x", '
        b'"user_domain_name": "", "other": 1}') == {
        'username': 'u', 'password': 'p', 'project_id': 'x'}


def test_app_errors_are_json():
    conf = base.make_conf('sqlite://')
    app = login.TokenRequest(conf)
    status, headers, body = call(app, {'username': 'u'})
    # No Keystone configured: said in words, nothing attempted.
    assert status == 503
    assert 'www_authenticate_uri' in body['error']['message']
    assert headers['Cache-Control'] == 'no-store'
    assert call(app, {}, method='GET')[0] == 405


def test_app_refuses_a_bad_body_before_calling_keystone():
    conf = base.make_conf('sqlite://')
    conf.register_opt(cfg.StrOpt('www_authenticate_uri'),
                      group='keystone_authtoken')
    conf.set_override('www_authenticate_uri', 'http://127.0.0.1:9/v3',
                      group='keystone_authtoken')
    status, _headers, body = call(login.TokenRequest(conf),
                                  {'username': 'u', 'password': 'p'})
    assert status == 400
    assert body['error']['parameter'] == 'project_name'
