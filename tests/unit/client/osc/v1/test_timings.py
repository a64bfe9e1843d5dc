import json

from stacktach_ng.client.osc.v1 import timings
from tests.unit.client.conftest import human
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def test_list(api, run):
    api.get(url('/v1/timings'), json={'timings': [{
        'id': 7, 'operation': 'instance.create', 'outcome': 'success',
        'duration_us': 45_000_000, 'started_at': 't0', 'host': 'c1',
        'resource_id': 'i-1'}], 'next': None})
    columns, rows = run(timings.ListTiming, '--operation', 'instance.*',
                        '--outcome', 'open', '--host', 'c1')
    assert columns == timings.COLUMNS
    row = dict(zip(columns, rows[0], strict=True))
    assert row['id'] == 7
    assert human(row['duration_us']) == '45.00s'
    assert query(api.last_request) == {
        'operation': 'instance.*', 'outcome': 'open', 'host': 'c1',
        'limit': '100'}


def test_summary_groups_and_buckets(api, run):
    api.get(url('/v1/timings/summary'), json={'summary': [{
        'operation': 'instance.create', 'host': 'c1', 'bucket': 't0',
        'count': 10, 'errors': 1, 'min_us': 1_000_000,
        'p50_us': 2_000_000, 'p95_us': 3_000_000, 'p99_us': 4_000_000,
        'max_us': 5_000_000}]})
    columns, rows = run(timings.SummaryTiming, '--group-by', 'operation',
                        '--group-by', 'host', '--bucket', '1h',
                        '--since', '2026-01-01', '--until', '2026-01-02')
    assert columns == ('operation', 'host', 'bucket') + timings.STATISTICS
    row = dict(zip(columns, rows[0], strict=True))
    assert row['count'] == 10
    assert human(row['p95_us']) == '3.00s'
    assert query(api.last_request) == {
        'group_by': 'operation,host', 'bucket': '3600',
        'since': '2026-01-01T00:00:00', 'until': '2026-01-02T00:00:00'}


def _printed(run, api, *argv):
    command = timings.SummaryTiming(run.app, None)
    parsed = command.get_parser('openstack stacktach').parse_args(
        list(argv))
    run.app.stdout.seek(0)
    run.app.stdout.truncate()
    command.run(parsed)
    return run.app.stdout.getvalue()


def test_tables_head_human_durations_with_plain_names(api, run):
    api.get(url('/v1/timings/summary'), json={'summary': [{
        'operation': 'instance.create', 'count': 2, 'errors': 0,
        'min_us': 472_000, 'p50_us': 472_000, 'p95_us': 68_000_000,
        'p99_us': 68_000_000, 'max_us': 68_000_000}]})
    table = _printed(run, api)
    header = table.splitlines()[1]
    assert [cell.strip() for cell in header.strip('|').split('|')] == [
        'operation', 'count', 'errors', 'min', 'p50', 'p95', 'p99', 'max']
    assert '472ms' in table and '1m08s' in table
    # JSON keeps the API's names and integer microseconds.
    loaded = json.loads(_printed(run, api, '-f', 'json'))
    assert loaded[0]['p50_us'] == 472_000


def test_group_by_hour_asks_the_api_for_hours(api, run):
    api.get(url('/v1/timings/summary'), json={'summary': []})
    columns, _rows = run(timings.SummaryTiming, '--group-by', 'operation',
                         '--group-by', 'hour')
    assert columns == ('operation', 'bucket') + timings.STATISTICS
    assert query(api.last_request) == {'group_by': 'operation,hour'}
