"""The API behind a real Keystone: tokens, roles, project isolation.

Keystone runs from its own virtualenv (``tests.functional.keystone_fixture``);
the API runs on the development server (``stacktach_ng.cmd.api``) on a
loopback port, registered in Keystone's catalog as service type
``stacktach``, and every request goes over HTTP with a real token.
"""

import threading
import urllib.parse

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from stacktach_ng.api import app as api_app
from stacktach_ng.api import server as api_server
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import keystone_fixture
from tests.functional import services
from tests.functional.api import data as api_data

PASSWORD = 'secret-of-the-tests'

LISTS = [('/v1/notifications', 'notifications'),
         ('/v1/event_types', 'event_types'),
         ('/v1/hosts', 'hosts'),
         ('/v1/services', 'services')]


@pytest.fixture(scope='module')
def keystone(tmp_path_factory):
    server = keystone_fixture.Keystone(str(tmp_path_factory.mktemp('ks')))
    try:
        server.start()
    except keystone_fixture.KeystoneError as error:
        server.stop()
        services.unavailable('Keystone', str(error)[:2000])
    yield server
    server.stop()


@pytest.fixture(scope='module')
def cloud(keystone, tmp_path_factory):
    """Keystone with projects A and B and their users, the API serving a
    dataset of both projects, and a token per user."""
    project_a = keystone.create_project('project-a')
    project_b = keystone.create_project('project-b')
    users = {
        'a_reader': (project_a, ['reader'], ()),
        'a_member': (project_a, ['member'], ()),
        'b_member': (project_b, ['member'], ()),
        'cloud_admin': (project_a, ['admin'], ()),
        'auditor': (None, (), ['reader']),
    }
    for name, (project, roles, system_roles) in users.items():
        keystone.create_user(name, PASSWORD, project, roles=roles,
                             system_roles=system_roles)
    tokens = {name: keystone.token(name, PASSWORD, project_id=project,
                                   system=project is None)
              for name, (project, _, _) in users.items()}

    workdir = tmp_path_factory.mktemp('api')
    database_url = 'sqlite:///%s/api.sqlite' % workdir
    config = workdir / 'stacktach-ng.conf'
    lines = ['[api]', 'auth_strategy = keystone', 'host = 127.0.0.1',
             'port = 0', '[database]', 'connection = ' + database_url,
             '[keystone_authtoken]']
    lines += ['%s = %s' % item
              for item in keystone.authtoken_options().items()]
    config.write_text('\n'.join(lines) + '\n')
    conf = base.make_conf(args=['--config-file', str(config)])
    database = db_api.Database(conf)
    migration.upgrade(database)
    dataset = api_data.standard(project_a, project_b)
    api_data.store(conf, database, dataset)

    server = api_server.make_server(conf, api_app.setup_app(conf, database))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = 'http://127.0.0.1:%d' % server.server_address[1]
    keystone.register_service(url)
    try:
        yield {'url': url, 'tokens': tokens, 'data': dataset,
               'keystone': keystone, 'a': project_a, 'b': project_b}
    finally:
        server.shutdown()
        server.server_close()
        database.dispose()


def _get(cloud, path, user=None, params=None, token=None):
    headers = {}
    if user is not None:
        headers['X-Auth-Token'] = cloud['tokens'][user]
    if token is not None:
        headers['X-Auth-Token'] = token
    return requests.get(cloud['url'] + path, params=params, headers=headers,
                        timeout=30)


def _all(cloud, path, key, user, params=None):
    items = []
    response = _get(cloud, path, user, dict(params or {}, limit=4))
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body[key])
        if body['next'] is None:
            return items
        parsed = urllib.parse.urlsplit(body['next'])
        response = _get(cloud, parsed.path + '?' + parsed.query, user)


def _message_ids(cloud, user, params=None):
    return {item['message_id'] for item in
            _all(cloud, '/v1/notifications', 'notifications', user, params)}


@pytest.mark.parametrize('path,_key', LISTS + [('/metrics', None)])
def test_no_token_is_401(cloud, path, _key):
    response = _get(cloud, path)
    assert response.status_code == 401
    assert response.json()['error']['code'] == 401
    assert 'WWW-Authenticate' in response.headers


def test_bad_token_is_401(cloud):
    response = _get(cloud, '/v1/notifications', token='not-a-token')
    assert response.status_code == 401
    assert response.json()['error']['code'] == 401


@pytest.mark.parametrize('path', ['/', '/v1/', '/v1/openapi.json',
                                  '/healthcheck'])
def test_public_routes_need_no_token(cloud, path):
    assert _get(cloud, path).status_code == 200


@pytest.mark.parametrize('user,project', [('a_reader', 'a'),
                                          ('a_member', 'a'),
                                          ('b_member', 'b')])
def test_project_sees_only_its_notifications(cloud, user, project):
    data = cloud['data']
    mine = data.message_ids(cloud[project])
    assert _message_ids(cloud, user) == mine
    for path, key in LISTS[1:]:
        counts = _all(cloud, path, key, user)
        assert sum(item['count'] for item in counts) == len(mine)


@pytest.mark.parametrize('user,other', [('a_reader', 'b'),
                                        ('b_member', 'a')])
def test_ids_of_another_project_are_invisible(cloud, user, other):
    data = cloud['data']
    theirs = data.of(cloud[other])
    for envelope in theirs:
        message_id = envelope['metadata']['message_id']
        assert _get(cloud, '/v1/notifications/' + message_id,
                    user).status_code == 404
    filters = [('request_id', theirs[0]['ctxt']['request_id']),
               ('resource_id', theirs[0]['payload']['instance_id']),
               ('host', theirs[0]['publisher_id'].split('.', 1)[1]),
               ('message_id', theirs[0]['metadata']['message_id'])]
    for name, value in filters:
        body = _get(cloud, '/v1/notifications', user, {name: value}).json()
        assert body['notifications'] == [], name
    response = _get(cloud, '/v1/notifications', user,
                    {'marker': theirs[0]['metadata']['message_id']})
    assert response.status_code == 400


@pytest.mark.parametrize('path,_key', LISTS)
def test_non_admin_cannot_widen_the_scope(cloud, path, _key):
    assert _get(cloud, path, 'a_reader',
                {'all_projects': 'true'}).status_code == 403
    assert _get(cloud, path, 'a_member',
                {'project_id': cloud['b']}).status_code == 403
    assert _get(cloud, path, 'a_reader',
                {'project_id': cloud['a']}).status_code == 200


def test_metrics_are_for_admins(cloud):
    assert _get(cloud, '/metrics', 'a_member').status_code == 403
    response = _get(cloud, '/metrics', 'cloud_admin')
    assert response.status_code == 200
    assert 'stacktach_notifications_stored_total' in response.text


def test_admin_sees_every_project_when_asked(cloud):
    data = cloud['data']
    assert _message_ids(cloud, 'cloud_admin') == data.message_ids(cloud['a'])
    assert (_message_ids(cloud, 'cloud_admin', {'project_id': cloud['b']})
            == data.message_ids(cloud['b']))
    assert (_message_ids(cloud, 'cloud_admin', {'all_projects': 'true'})
            == data.message_ids(None))
    theirs = data.of(cloud['b'])[0]['metadata']['message_id']
    assert _get(cloud, '/v1/notifications/' + theirs,
                'cloud_admin').status_code == 200


def test_system_reader_sees_everything(cloud):
    assert (_message_ids(cloud, 'auditor')
            == cloud['data'].message_ids(None))


def test_catalog_leads_to_the_api(cloud):
    """What the CLI does: find the endpoint of service type ``stacktach``
    in the catalog and call it with the session's token."""
    auth = v3.Password(auth_url=cloud['keystone'].auth_url,
                       username='a_reader', password=PASSWORD,
                       user_domain_id='default', project_id=cloud['a'])
    session = ks_session.Session(auth=auth)
    endpoint = session.get_endpoint(service_type='stacktach',
                                    interface='public')
    assert endpoint.rstrip('/') == cloud['url']
    response = session.get(endpoint + '/v1/notifications',
                           params={'limit': 1})
    assert response.json()['notifications'][0]['project_id'] == cloud['a']
