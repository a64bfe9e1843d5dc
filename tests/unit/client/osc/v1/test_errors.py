from stacktach_ng.client.osc.v1 import errors
from tests.unit.client.conftest import human
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

GROUP = {'fingerprint': 'abcd', 'exception': 'NoValidHost',
         'message': 'No valid host was found. <n> hosts', 'count': 4,
         'first_seen': 't0', 'last_seen': 't1',
         'operations': ['instance.create'], 'hosts': ['c1', 'c2'],
         'services': ['compute'], 'sample_requests': ['req-1']}


def test_list(api, run):
    api.get(url('/v1/errors'), json={'errors': [GROUP], 'next': None})
    columns, rows = run(errors.ListError, '--long', '--host', 'c1')
    row = dict(zip(columns, rows[0], strict=True))
    assert row['fingerprint'] == 'abcd'
    assert human(row['hosts']) == 'c1, c2'
    assert machine(row['hosts']) == ['c1', 'c2']
    assert query(api.last_request) == {'host': 'c1', 'limit': '100'}


def test_show(api, run):
    api.get(url('/v1/errors/abcd'), json=dict(GROUP, events=[
        {'generated_at': 't1', 'event_type': 'compute.instance.create.error',
         'host': 'c1', 'request_id': 'req-1', 'resource_id': 'i-1',
         'message': 'No valid host'}]))
    columns, data = run(errors.ShowError, 'abcd', '--events', '5')
    assert query(api.last_request) == {'limit': '5'}
    assert columns[:3] == ('fingerprint', 'exception', 'message')
    fields = dict(zip(columns, data, strict=True))
    assert human(fields['events']).split()[:3] == [
        't1', 'compute.instance.create.error', 'c1']
