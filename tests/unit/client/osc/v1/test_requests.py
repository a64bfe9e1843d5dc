from stacktach_ng.client.osc.v1 import requests as request_commands
from tests.unit.client.conftest import human
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

REQUEST = {'request_id': 'req-1', 'global_request_id': None,
           'project_id': 'p1', 'operation': 'instance.create',
           'first_event_type': 'compute.instance.update',
           'service': 'compute', 'host': 'api-1',
           'started_at': '2026-01-01T00:00:00Z',
           'ended_at': '2026-01-01T00:00:12Z', 'last_at': 't',
           'duration_us': 12_000_000, 'outcome': 'success',
           'notifications': 20}


def _span(span_id, operation, children=(), outcome='success',
          duration_us=1_000_000):
    return {'id': span_id, 'parent_id': None, 'kind': 'operation',
            'request_id': 'req-1', 'service': 'compute', 'host': 'c1',
            'operation': operation, 'resource_id': 'i-1',
            'started_at': 't0', 'ended_at': 't1',
            'duration_us': duration_us, 'outcome': outcome,
            'notifications': [], 'children': list(children)}


def test_list(api, run):
    api.get(url('/v1/requests'), json={'requests': [REQUEST],
                                       'next': None})
    columns, rows = run(request_commands.ListRequest, '--outcome', 'error',
                        '--operation', 'instance.create')
    assert columns == request_commands.COLUMNS
    row = dict(zip(columns, rows[0], strict=True))
    assert row['request_id'] == 'req-1'
    assert human(row['duration_us']) == '12.00s'
    assert machine(row['duration_us']) == 12_000_000
    assert query(api.last_request) == {
        'outcome': 'error', 'operation': 'instance.create', 'limit': '100'}


def test_show_prints_the_tree_and_keeps_json_structured(api, run):
    root = _span('r', 'instance.create', duration_us=12_000_000, children=[
        _span('a', 'scheduler.select_destinations'),
        _span('b', 'volume.attach', outcome='error')])
    api.get(url('/v1/requests/req-1'), json={
        'request_id': 'req-1', 'global_request_id': None,
        'requests': [REQUEST], 'started_at': 't0', 'ended_at': 't1',
        'duration_us': 12_000_000, 'outcome': 'error', 'root': root,
        'critical_path': ['r', 'a'], 'span_count': 3})
    columns, data = run(request_commands.ShowRequest, 'req-1')
    fields = dict(zip(columns, data, strict=True))
    assert fields['request_id'] == 'req-1'
    assert fields['span_count'] == 3
    tree = human(fields['spans']).splitlines()
    assert tree[0].startswith('*    12.00s  instance.create')
    assert tree[1].startswith('*     1.00s    scheduler.select')
    assert tree[2].startswith(' !    1.00s    volume.attach')
    assert machine(fields['spans']) == root
    assert machine(fields['critical_path']) == ['r', 'a']
    assert human(fields['critical_path']) == 'r > a'
    assert human(fields['requests']) == (
        'req-1  compute@api-1  instance.create  success')
