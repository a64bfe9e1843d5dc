"""The analysis endpoints over the standard dataset (stored with every
default handler), and their project scoping, on every database."""

import pytest


def test_requests_and_traces(noauth):
    client, dataset = noauth
    items, _ = client.follow('/v1/requests', 'requests', {'limit': 2})
    request_ids = {item['request_id'] for item in items}
    assert dataset.request_a in request_ids
    assert dataset.request_b in request_ids
    trace = client.get_json('/v1/requests/' + dataset.request_a)
    assert trace['request_id'] == dataset.request_a
    assert trace['span_count'] >= 1
    assert [r['request_id'] for r in trace['requests']] == [
        dataset.request_a]


def test_resource_lifecycle(noauth):
    client, dataset = noauth
    body = client.get_json('/v1/resources/' + dataset.instance_a)
    assert body['resource_id'] == dataset.instance_a
    assert body['project_id'] == dataset.project_a
    states = [t.get('task_state') for t in body['task_states']]
    assert 'networking' in str(states)
    resources, _ = client.follow('/v1/resources', 'resources', {'limit': 3})
    assert dataset.instance_a in {r['resource_id'] for r in resources}
    stuck = client.get_json('/v1/resources', {'stuck': 'true',
                                              'older_than': 1})
    assert isinstance(stuck['resources'], list)


def test_timings(noauth):
    client, dataset = noauth
    items, _ = client.follow('/v1/timings', 'timings', {'limit': 2})
    assert items
    mine = client.get_json('/v1/timings', {
        'resource_id': dataset.instance_a})['timings']
    assert {item['resource_id'] for item in mine} == {dataset.instance_a}
    summary = client.get_json('/v1/timings/summary', {
        'since': '2026-03-01T00:00:00Z', 'until': '2026-03-02T00:00:00Z'})
    assert summary['group_by'] == ['operation']
    assert sum(group['count'] for group in summary['summary']) >= 1


def test_errors(noauth):
    client, dataset = noauth
    groups = client.get_json('/v1/errors', {
        'since': '2026-03-01T00:00:00Z'})['errors']
    assert groups
    group = client.get_json('/v1/errors/' + groups[0]['fingerprint'], {
        'since': '2026-03-01T00:00:00Z'})
    assert group['fingerprint'] == groups[0]['fingerprint']
    assert group['events']


def test_summary(noauth):
    client, dataset = noauth
    body = client.get_json('/v1/summary', {
        'since': '2026-03-01T00:00:00Z', 'until': '2026-03-02T00:00:00Z'})
    assert body['notifications'] == len(dataset.envelopes)


@pytest.mark.parametrize('path_of', [
    lambda d: '/v1/requests/' + d.request_b,
    lambda d: '/v1/resources/' + d.instance_b,
])
def test_other_projects_analyses_are_404(as_identity, path_of):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    assert client.get(path_of(dataset)).status == 404
    admin = as_identity(['admin', 'reader'], dataset.project_a)
    assert admin.get(path_of(dataset)).status == 200


@pytest.mark.parametrize('path,key', [('/v1/requests', 'requests'),
                                      ('/v1/resources', 'resources'),
                                      ('/v1/timings', 'timings'),
                                      ('/v1/errors', 'errors')])
def test_analysis_lists_are_scoped(as_identity, path, key):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    items, _ = client.follow(path, key, {'limit': 2})
    assert all(item.get('project_id') in (dataset.project_a, None)
               for item in items)
    if key != 'errors':
        assert items
    assert all(item.get('project_id') == dataset.project_a
               for item in items if key != 'errors')
    assert client.get(path, {'all_projects': 'true'}).status == 403


def test_summary_is_scoped(as_identity):
    dataset = as_identity.dataset
    client = as_identity(['reader'], dataset.project_a)
    body = client.get_json('/v1/summary', {
        'since': '2026-03-01T00:00:00Z', 'until': '2026-03-02T00:00:00Z'})
    assert body['notifications'] == len(dataset.of(dataset.project_a))
