"""Project scoping and policy, with the identity keystonemiddleware would
set (the real Keystone tests in ``test_keystone.py`` cover the token path
end to end), on every database."""

import pytest

LISTS = [('/v1/notifications', 'notifications', 'message_id'),
         ('/v1/event_types', 'event_types', 'event_type'),
         ('/v1/hosts', 'hosts', 'host'),
         ('/v1/services', 'services', 'service')]


def _message_ids(client, params=None):
    items, _ = client.follow('/v1/notifications', 'notifications',
                             dict(params or {}, limit=5))
    return {item['message_id'] for item in items}


@pytest.mark.parametrize('role', ['reader', 'member'])
def test_project_user_sees_only_their_project(as_identity, role):
    dataset = as_identity.dataset
    client = as_identity([role, 'reader'], dataset.project_a)
    assert _message_ids(client) == dataset.message_ids(dataset.project_a)
    assert client.get_json('/v1/notifications',
                           {'project_id': dataset.project_a})[
        'notifications']
    hosts = {h['host'] for h in client.get_json('/v1/hosts')['hosts']}
    assert hosts == {'host-a1', 'host-a2'}


@pytest.mark.parametrize('filter_name,value_of', [
    ('request_id', lambda d: d.request_b),
    ('resource_id', lambda d: d.instance_b),
    ('host', lambda d: 'host-b1'),
    ('event_type', lambda d: '*'),
    ('message_id', lambda d: sorted(d.message_ids(d.project_b))[0]),
])
def test_filters_naming_another_project_find_nothing(as_identity,
                                                     filter_name, value_of):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    items = client.get_json('/v1/notifications', {
        filter_name: value_of(dataset)})['notifications']
    assert all(item['project_id'] == dataset.project_a for item in items)
    if filter_name != 'event_type':
        assert items == []


def test_show_of_another_project_is_404(as_identity):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    mine = sorted(dataset.message_ids(dataset.project_a))[0]
    theirs = sorted(dataset.message_ids(dataset.project_b))[0]
    assert client.get('/v1/notifications/%s' % mine).status == 200
    response = client.get('/v1/notifications/%s' % theirs)
    assert response.status == 404


def test_marker_of_another_project_is_refused(as_identity):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    theirs = sorted(dataset.message_ids(dataset.project_b))[0]
    response = client.get('/v1/notifications', {'marker': theirs})
    assert response.status == 400
    assert response.json['error']['parameter'] == 'marker'


@pytest.mark.parametrize('path,key,_column', LISTS)
@pytest.mark.parametrize('params', [{'all_projects': 'true'},
                                    {'project_id': 'project-b'}])
def test_non_admin_cannot_widen_the_scope(as_identity, path, key, _column,
                                          params):
    client = as_identity(['member', 'reader'], 'project-a')
    response = client.get(path, params)
    assert response.status == 403
    assert response.json['error']['code'] == 403


def test_non_admin_cannot_read_metrics(as_identity):
    client = as_identity(['member', 'reader'], 'project-a')
    assert client.get('/metrics').status == 403


@pytest.mark.parametrize('roles', [[], ['some-other-role']])
def test_no_reader_role_is_forbidden(as_identity, roles):
    client = as_identity(roles, 'project-a')
    for path, _, _ in LISTS:
        assert client.get(path).status == 403


def test_domain_or_unscoped_caller_without_project_is_forbidden(
        as_identity):
    client = as_identity(['reader'], None)
    assert client.get('/v1/notifications').status == 403
    assert client.get('/v1/notifications/x').status == 403


def test_admin_defaults_to_own_project_and_widens(as_identity):
    dataset = as_identity.dataset
    admin = as_identity(['admin', 'member', 'reader'], dataset.project_a)
    assert _message_ids(admin) == dataset.message_ids(dataset.project_a)
    assert (_message_ids(admin, {'project_id': dataset.project_b})
            == dataset.message_ids(dataset.project_b))
    assert (_message_ids(admin, {'all_projects': 'true'})
            == dataset.message_ids(None))
    theirs = sorted(dataset.message_ids(dataset.project_b))[0]
    assert admin.get('/v1/notifications/%s' % theirs).status == 200
    assert admin.get('/metrics').status == 200


def test_system_reader_sees_everything(as_identity):
    dataset = as_identity.dataset
    client = as_identity(['reader'], None, system_scope='all')
    assert _message_ids(client) == dataset.message_ids(None)
    assert client.get('/metrics').status == 200
