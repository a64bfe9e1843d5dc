import pytest
from keystoneauth1 import fixture as ksa_fixture
from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint

from stacktach_ng.client import exceptions
from stacktach_ng.client.v1 import client as v1_client
from tests.unit.client.conftest import ENDPOINT
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def _page(items, following=None):
    return {'notifications': items, 'next': following}


def test_paging_follows_next_links_and_keeps_filters(api, client):
    api.get(url('/v1/notifications'), [
        {'json': _page([{'message_id': 'a'}, {'message_id': 'b'}],
                       'http://elsewhere.example/v1/notifications?'
                       'limit=2&event_type=compute.%2A&marker=b')},
        {'json': _page([{'message_id': 'c'}])},
    ])
    items = list(client.notifications(event_type='compute.*'))
    assert [item['message_id'] for item in items] == ['a', 'b', 'c']
    first, second = api.request_history
    assert query(first) == {'event_type': 'compute.*', 'limit': '1000'}
    # The next page goes to the client's endpoint, not to the host the
    # link names, with the link's query.
    assert second.url.startswith(ENDPOINT + '/v1/notifications?')
    assert query(second) == {'event_type': 'compute.*', 'limit': '2',
                             'marker': 'b'}


def test_limit_stops_reading_pages(api, client):
    api.get(url('/v1/notifications'), json=_page(
        [{'message_id': str(i)} for i in range(3)],
        ENDPOINT + '/v1/notifications?limit=3&marker=2'))
    items = list(client.notifications(limit=3))
    assert len(items) == 3
    assert api.call_count == 1
    assert query(api.last_request)['limit'] == '3'


def test_none_filters_are_left_out_and_booleans_spelled(api, client):
    api.get(url('/v1/notifications'), json=_page([]))
    list(client.notifications(host=None, all_projects=True,
                              marker='m-1'))
    assert query(api.last_request) == {'all_projects': 'true',
                                       'marker': 'm-1', 'limit': '1000'}


def test_next_marker_bodies_are_followed_too(api, client):
    api.get(url('/v1/usage/launches'), [
        {'json': {'items': [{'id': 3}], 'next_marker': '3'}},
        {'json': {'items': [{'id': 2}], 'next_marker': None}},
    ])
    assert [item['id'] for item in client.usage('launches')] == [3, 2]
    assert query(api.request_history[1])['marker'] == '3'


def test_ids_are_quoted_in_paths(api, client):
    api.get(url('/v1/requests/req%2F1'), json={'request_id': 'req/1'})
    assert client.request('req/1') == {'request_id': 'req/1'}


@pytest.mark.parametrize('status, error_class', [
    (400, exceptions.BadRequest), (401, exceptions.Unauthorized),
    (403, exceptions.Forbidden), (404, exceptions.NotFound),
    (500, exceptions.ClientError)])
def test_error_bodies_become_exceptions(api, client, status, error_class):
    api.get(url('/v1/notifications/x'), status_code=status, json={
        'error': {'code': status, 'title': 'T', 'message': 'it broke'}})
    with pytest.raises(error_class) as caught:
        client.notification('x')
    assert caught.value.status_code == status
    assert str(caught.value) == 'it broke (HTTP %d)' % status


def test_error_without_json_body_keeps_the_status(api, client):
    api.get(url('/v1/summary'), status_code=502, text='<html>bad</html>')
    with pytest.raises(exceptions.ClientError) as caught:
        client.summary()
    assert caught.value.status_code == 502


def test_success_that_is_not_json_is_an_error(api, client):
    api.get(url('/v1/summary'), text='not json')
    with pytest.raises(exceptions.ClientError, match='not JSON'):
        client.summary()


def test_connection_refused_is_short_and_typed():
    client = v1_client.Client(endpoint='http://127.0.0.1:9')
    with pytest.raises(exceptions.ConnectionFailed) as caught:
        client.summary()
    assert 'connection refused' in str(caught.value)
    assert 'HTTPConnectionPool' not in str(caught.value)


def test_token_is_sent_with_a_plain_endpoint(api):
    client = v1_client.Client(endpoint=ENDPOINT + '/', token='tok')
    api.get(url('/v1/summary'), json={})
    client.summary()
    assert api.last_request.headers['X-Auth-Token'] == 'tok'


def test_no_token_header_without_auth(api, client):
    api.get(url('/v1/summary'), json={})
    client.summary()
    assert 'X-Auth-Token' not in api.last_request.headers


def test_endpoint_or_session_is_required():
    with pytest.raises(exceptions.EndpointNotFound):
        v1_client.Client()


def _catalog_session(api, region='RegionTwo'):
    """A keystoneauth session whose token has a stacktach catalog entry
    with public and internal endpoints in two regions."""
    token = ksa_fixture.V3Token()
    token.set_project_scope()
    service = token.add_service('stacktach')
    for name in ('RegionOne', 'RegionTwo'):
        service.add_endpoint('public', 'http://public-%s:8799' % name,
                             region=name)
        service.add_endpoint('internal', 'http://internal-%s:8799' % name,
                             region=name)
    api.post('http://keystone.test/v3/auth/tokens', json=token,
             headers={'X-Subject-Token': 'subject'})
    from keystoneauth1.identity import v3
    auth = v3.Password(auth_url='http://keystone.test/v3', username='u',
                       password='p', project_id='p',
                       user_domain_id='default')
    return ksa_session.Session(auth=auth)


@pytest.mark.parametrize('interface, region, host', [
    ('public', 'RegionOne', 'public-RegionOne'),
    ('internal', 'RegionTwo', 'internal-RegionTwo')])
def test_catalog_lookup_honours_interface_and_region(api, interface,
                                                     region, host):
    session = _catalog_session(api)
    client = v1_client.Client(session=session, interface=interface,
                              region_name=region)
    api.get('http://%s:8799/v1/summary' % host, json={'total': 1})
    assert client.summary() == {'total': 1}
    assert api.last_request.headers['X-Auth-Token'] == 'subject'


def test_endpoint_overrides_the_catalog(api):
    session = _catalog_session(api)
    client = v1_client.Client(session=session,
                              endpoint='http://override:1234')
    api.get('http://override:1234/v1/summary', json={})
    client.summary()
    assert api.last_request.headers['X-Auth-Token'] == 'subject'


def test_missing_catalog_entry_is_a_clear_error(api):
    session = _catalog_session(api)
    client = v1_client.Client(session=session, service_type='nothing')
    with pytest.raises(exceptions.EndpointNotFound, match='nothing'):
        client.summary()


def test_token_endpoint_session_is_usable():
    session = ksa_session.Session(
        auth=token_endpoint.Token(ENDPOINT, 'tok'))
    client = v1_client.Client(session=session)
    assert client.adapter.get_endpoint() == ENDPOINT


def test_usage_kind_is_checked(client):
    with pytest.raises(ValueError):
        list(client.usage('bogus'))


def test_counts_use_the_list_of_the_field(api, client):
    api.get(url('/v1/event_types'), json={
        'event_types': [{'event_type': 'a', 'count': 2}], 'next': None})
    assert list(client.counts('event_type')) == [
        {'event_type': 'a', 'count': 2}]
    with pytest.raises(ValueError):
        list(client.counts('payload'))


@pytest.mark.parametrize('given', [
    ENDPOINT, ENDPOINT + '/', ENDPOINT + '/v1', ENDPOINT + '/v1/'])
def test_the_base_url_may_end_with_the_version(api, given):
    api.get(url('/v1/summary'), json={'total': 2})
    assert v1_client.Client(endpoint=given).summary() == {'total': 2}
    assert api.last_request.url == url('/v1/summary')


def test_a_catalog_endpoint_with_the_version_is_cut_to_the_root(api):
    token = ksa_fixture.V3Token()
    token.set_project_scope()
    token.add_service('stacktach').add_endpoint(
        'public', 'http://catalog.test:8799/v1', region='RegionOne')
    api.post('http://keystone.test/v3/auth/tokens', json=token,
             headers={'X-Subject-Token': 'subject'})
    from keystoneauth1.identity import v3
    session = ksa_session.Session(auth=v3.Password(
        auth_url='http://keystone.test/v3', username='u', password='p',
        project_id='p', user_domain_id='default'))
    api.get('http://catalog.test:8799/v1/summary', json={'total': 3})
    assert v1_client.Client(session=session).summary() == {'total': 3}


def test_a_404_of_the_router_says_what_was_tried(api):
    api.get('http://elsewhere.test/api/v1/summary', status_code=404,
            json={'error': {'code': 404, 'title': 'Not Found',
                            'message': 'The resource could not be found.'}})
    client = v1_client.Client(endpoint='http://elsewhere.test/api')
    with pytest.raises(exceptions.NotFound) as raised:
        client.summary()
    message = str(raised.value)
    assert 'tried GET http://elsewhere.test/api/v1/summary' in message
    assert 'http://elsewhere.test/api' in message
    assert 'OS_STACKTACH_URL' in message


def test_a_404_about_an_item_keeps_the_api_message(api, client):
    api.get(url('/v1/resources/nope'), status_code=404,
            json={'error': {'code': 404, 'title': 'Not Found',
                            'message': 'No resource has id nope.'}})
    with pytest.raises(exceptions.NotFound) as raised:
        client.resource('nope')
    assert str(raised.value) == 'No resource has id nope. (HTTP 404)'
