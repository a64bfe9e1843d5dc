"""Bad input gets a JSON 400 that names the parameter, never a 500."""

import pytest

LIST_PATHS = ['/v1/notifications', '/v1/event_types', '/v1/hosts',
              '/v1/services']

BAD_COMMON = [
    ('limit', '0'),
    ('limit', '-3'),
    ('limit', 'ten'),
    ('limit', '1.5'),
    ('limit', ''),
    ('limit', '99999999999999999999999'),
    ('since', 'yesterday'),
    ('since', '2026-13-45T00:00:00'),
    ('until', '0001-01-01T00:00:00'),
    ('since', ''),
    ('all_projects', 'maybe'),
    ('project_id', ''),
    ('project_id', 'x' * 256),
    ('project_id', 'nul\x00byte'),
    ('marker', ''),
    ('marker', 'tab\tin'),
    ('unknown_thing', '1'),
]

BAD_NOTIFICATIONS = [
    ('sort_dir', 'sideways'),
    ('details', '2'),
    ('event_type', ''),
    ('event_type', 'e' * 300),
    ('host', 'bad\x01host'),
    ('request_id', ''),
    ('task_state', 'x' * 256),
    ('generated_at', '2026-01-01'),
    ('payload', '{}'),
]


def _assert_names(response, parameter):
    assert response.status == 400, response
    assert response.content_type == 'application/json'
    error = response.json['error']
    assert error['code'] == 400
    assert error['title'] == 'Bad Request'
    assert error['parameter'] == parameter[:64]
    assert error['message'].startswith(parameter[:64] + ': ')


@pytest.mark.parametrize('path', LIST_PATHS)
@pytest.mark.parametrize('name,value', BAD_COMMON)
def test_bad_common_parameters(noauth, path, name, value):
    client, _ = noauth
    _assert_names(client.get(path, {name: value}), name)


@pytest.mark.parametrize('name,value', BAD_NOTIFICATIONS)
def test_bad_notification_parameters(noauth, name, value):
    client, _ = noauth
    _assert_names(client.get('/v1/notifications', {name: value}), name)


@pytest.mark.parametrize('path', LIST_PATHS)
def test_repeated_parameter(noauth, path):
    client, _ = noauth
    _assert_names(client.get(path + '?limit=1&limit=2'), 'limit')


@pytest.mark.parametrize('path', LIST_PATHS)
def test_until_before_since(noauth, path):
    client, _ = noauth
    _assert_names(client.get(path, {'since': '2026-03-02T00:00:00Z',
                                    'until': '2026-03-01T00:00:00Z'}),
                  'until')


@pytest.mark.parametrize('path', ['/', '/v1/', '/v1/openapi.json',
                                  '/metrics', '/v1/notifications/abc'])
def test_parameters_where_none_are_accepted(noauth, path):
    client, _ = noauth
    _assert_names(client.get(path, {'limit': '1'}), 'limit')


def test_query_string_not_utf8(noauth):
    client, _ = noauth
    response = client.get('/v1/notifications?host=%ff%fe')
    assert response.status == 400
    assert response.json['error']['code'] == 400


@pytest.mark.parametrize('path', ['/nothing', '/v1/nothing', '/v2/',
                                  '/v1/notifications/a/b'])
def test_unknown_path_is_json_404(noauth, path):
    client, _ = noauth
    response = client.get(path)
    assert response.status == 404
    assert response.json['error']['code'] == 404


def test_other_methods_are_405(noauth):
    client, _ = noauth
    import webob
    request = webob.Request.blank('/v1/notifications', method='DELETE')
    response = request.get_response(client.application)
    assert response.status_int == 405
    assert response.json['error']['code'] == 405


def test_unexpected_error_is_a_generic_json_500(noauth, monkeypatch):
    client, _ = noauth
    from stacktach_ng.queries import notifications

    def explode(*args, **kwargs):
        raise RuntimeError('secret internals')

    monkeypatch.setattr(notifications, 'list_notifications', explode)
    response = client.get('/v1/notifications')
    assert response.status == 500
    assert 'secret internals' not in response.body.decode()
    assert response.json['error']['code'] == 500


def test_every_response_has_a_request_id(noauth):
    client, _ = noauth
    for path in ('/', '/v1/notifications', '/nothing', '/healthcheck'):
        response = client.get(path)
        assert response.headers['X-OpenStack-Request-ID'].startswith('req-')
