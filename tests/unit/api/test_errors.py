import orjson
import webob

from stacktach_ng.api import errors


def _call(app):
    return webob.Request.blank('/').get_response(errors.JsonErrors(app))


def test_exception_becomes_generic_500():
    def app(environ, start_response):
        raise RuntimeError('internal detail')

    response = _call(app)
    assert response.status_int == 500
    body = orjson.loads(response.body)
    assert body['error']['code'] == 500
    assert b'internal detail' not in response.body


def test_plain_text_error_becomes_json_with_its_status():
    def app(environ, start_response):
        start_response('503 Service Unavailable',
                       [('Content-Type', 'text/plain')])
        return [b'Keystone is unreachable\nmore']

    response = _call(app)
    assert response.status_int == 503
    assert orjson.loads(response.body)['error'] == {
        'code': 503, 'title': 'Service Unavailable',
        'message': 'Keystone is unreachable'}


def test_success_and_json_errors_pass_through():
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'fine']

    assert _call(app).body == b'fine'
