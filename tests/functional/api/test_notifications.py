"""``/v1/notifications`` and the counted lists, on every database."""

import collections

import pytest

from tests.functional.api import data as api_data


def _ids(items):
    return [item['message_id'] for item in items]


def _times(envelopes):
    return [e['metadata']['timestamp'] for e in envelopes]


def test_list_is_newest_first_and_complete(noauth):
    client, dataset = noauth
    body = client.get_json('/v1/notifications')
    expected = [e['metadata']['message_id'] for e in
                reversed(dataset.envelopes)]
    assert _ids(body['notifications']) == expected
    assert body['next'] is None
    first = body['notifications'][0]
    assert 'payload' not in first and 'context' not in first
    assert first['generated_at'].endswith('Z')


@pytest.mark.parametrize('sort_dir', ['desc', 'asc'])
def test_paging_follows_next_links(noauth, sort_dir):
    client, dataset = noauth
    items, pages = client.follow('/v1/notifications', 'notifications',
                                 {'limit': 4, 'sort_dir': sort_dir})
    expected = [e['metadata']['message_id'] for e in dataset.envelopes]
    if sort_dir == 'desc':
        expected.reverse()
    assert _ids(items) == expected
    assert pages == -(-len(expected) // 4)


def test_next_link_keeps_filters(noauth):
    client, dataset = noauth
    body = client.get_json('/v1/notifications',
                           {'limit': 2, 'host': 'host-b1'})
    assert 'host=host-b1' in body['next']
    assert 'limit=2' in body['next']
    items, _ = client.follow('/v1/notifications', 'notifications',
                             {'limit': 2, 'host': 'host-b1'})
    assert {i['host'] for i in items} == {'host-b1'}
    assert len(items) == 10


def test_paging_is_stable_with_equal_times(noauth_own, stored):
    client, dataset = noauth_own
    conf, database, _ = stored
    same_time = api_data.BASE_TIME.replace(hour=23)
    extra = api_data.Dataset('p', 'q')
    for _ in range(7):
        extra.add(api_data.envelope('compute.instance.exists', same_time,
                                    project_id='p', host='host-tie'))
    api_data.store(conf, database, extra)
    items, _ = client.follow('/v1/notifications', 'notifications',
                             {'limit': 3, 'host': 'host-tie'})
    assert sorted(_ids(items)) == sorted(extra.message_ids(None))
    assert len(_ids(items)) == 7


@pytest.mark.parametrize('column,value_of', [
    ('host', lambda d: 'host-a2'),
    ('request_id', lambda d: d.request_a),
    ('resource_id', lambda d: d.instance_b),
    ('priority', lambda d: 'ERROR'),
    ('service', lambda d: 'image'),
    ('task_state', lambda d: 'networking'),
    ('resource_type', lambda d: 'instance'),
])
def test_filters(noauth, column, value_of):
    client, dataset = noauth
    value = value_of(dataset)
    items = client.get_json('/v1/notifications',
                            {column: value})['notifications']
    assert items
    assert {item[column] for item in items} == {value}
    everything = client.get_json('/v1/notifications')['notifications']
    assert len(items) == sum(1 for i in everything if i[column] == value)


@pytest.mark.parametrize('pattern,expected', [
    ('compute.instance.create.*', {'compute.instance.create.start',
                                   'compute.instance.create.end',
                                   'compute.instance.create.error'}),
    ('*.error', {'compute.instance.create.error'}),
    ('?mage.upload', {'image.upload'}),
    ('image.upload', {'image.upload'}),
    ('compute.instance_update', set()),
    ('compute.instance.%', set()),
])
def test_event_type_glob(noauth, pattern, expected):
    client, _ = noauth
    items = client.get_json('/v1/notifications',
                            {'event_type': pattern})['notifications']
    assert {item['event_type'] for item in items} == expected


def test_time_range(noauth):
    client, dataset = noauth
    envelopes = dataset.envelopes
    since = envelopes[3]['metadata']['timestamp']
    until = envelopes[9]['metadata']['timestamp']
    items = client.get_json('/v1/notifications', {
        'since': since.replace(' ', 'T') + 'Z',
        'until': until.replace(' ', 'T') + '+00:00',
        'sort_dir': 'asc'})['notifications']
    assert _ids(items) == [e['metadata']['message_id']
                           for e in envelopes[3:9]]


def test_time_range_with_zone_offset(noauth):
    client, dataset = noauth
    # 14:00:05+02:00 is 12:00:05 UTC: the notifications at 12:00:01..04.
    items = client.get_json('/v1/notifications', {
        'until': '2026-03-01T14:00:05+02:00'})['notifications']
    assert len(items) == 4


def test_details_include_scrubbed_documents(noauth):
    client, dataset = noauth
    items = client.get_json('/v1/notifications', {
        'details': 'true', 'request_id': dataset.request_a,
        'sort_dir': 'asc'})['notifications']
    assert items[0]['payload']['instance_id'] == dataset.instance_a
    assert items[0]['context']['project_id'] == dataset.project_a
    assert items[0]['context']['auth_token'] != 'a-token-never-stored'


def test_show(noauth):
    client, dataset = noauth
    envelope = dataset.envelopes[0]
    message_id = envelope['metadata']['message_id']
    body = client.get_json('/v1/notifications/%s' % message_id)
    assert body['message_id'] == message_id
    assert body['event_type'] == envelope['event_type']
    assert body['payload'] == envelope['payload']
    assert body['context']['request_id'] == envelope['ctxt']['request_id']
    assert 'a-token-never-stored' not in str(body)


def test_show_unknown_is_404(noauth):
    client, _ = noauth
    response = client.get('/v1/notifications/no-such-message')
    assert response.status == 404
    assert 'no-such-message' in response.json['error']['message']


def test_unknown_marker_is_400(noauth):
    client, _ = noauth
    response = client.get('/v1/notifications', {'marker': 'nope'})
    assert response.status == 400
    assert response.json['error']['parameter'] == 'marker'


def test_limit_is_clamped_to_max_limit(noauth, shared, override):
    client, dataset = noauth
    override(shared[0], 'max_limit', 5, 'api')
    body = client.get_json('/v1/notifications', {'limit': 1000})
    assert len(body['notifications']) == 5
    assert 'limit=1000' in body['next']


@pytest.mark.parametrize('path,column', [
    ('/v1/event_types', 'event_type'),
    ('/v1/hosts', 'host'),
    ('/v1/services', 'service'),
])
def test_counts(noauth, path, column):
    client, _ = noauth
    key = path.rsplit('/', 1)[1]
    everything = client.get_json('/v1/notifications')['notifications']
    expected = collections.Counter(item[column] for item in everything)
    items, pages = client.follow(path, key, {'limit': 2})
    assert {item[column]: item['count'] for item in items} == expected
    assert [item[column] for item in items] == sorted(expected)
    assert pages == -(-len(expected) // 2)
    for item in items:
        times = [i['generated_at'] for i in everything
                 if i[column] == item[column]]
        assert item['first_seen'] == min(times)
        assert item['last_seen'] == max(times)


def test_counts_time_range(noauth):
    client, dataset = noauth
    last = dataset.envelopes[-1]['metadata']['timestamp']
    body = client.get_json('/v1/hosts', {
        'since': last.replace(' ', 'T')})
    assert body['hosts'] == [{'host': 'host-b2', 'count': 1,
                              'first_seen': body['hosts'][0]['first_seen'],
                              'last_seen': body['hosts'][0]['last_seen']}]
