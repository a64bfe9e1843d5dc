from stacktach_ng.client.osc.v1 import summary
from tests.unit.client.conftest import human
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

BODY = {
    'since': 't0', 'until': 't1', 'notifications': 42, 'errors': 2,
    'error_rate': 0.047619,
    'by_service': [{'service': 'compute', 'notifications': 40, 'errors': 2,
                    'error_rate': 0.05},
                   {'service': 'image', 'notifications': 2, 'errors': 0,
                    'error_rate': 0.0}],
    'by_host': [], 'by_event_type': [],
    'buckets': [{'start': 't0', 'notifications': 42, 'errors': 2,
                 'error_rate': 0.047619}],
    'request_latency': [{'operation': 'instance.create', 'count': 4,
                         'errors': 0, 'min_us': 1, 'p50_us': 2_000_000,
                         'p95_us': 3_000_000, 'p99_us': 3_000_000,
                         'max_us': 61_000_000}]}


def test_summary(api, run):
    api.get(url('/v1/summary'), json=BODY)
    columns, data = run(summary.ShowSummary, '--since', '1d',
                        '--project', 'p1', '--bucket', '10m')
    assert columns[:5] == summary.ShowSummary.leading
    assert columns[-1] == 'request_latency'
    fields = dict(zip(columns, data, strict=True))
    assert fields['notifications'] == 42
    assert human(fields['error_rate']) == '4.76%'
    assert [line.split() for line in
            human(fields['by_service']).splitlines()] == [
        ['compute', '40', '2', '5.00%'], ['image', '2', '0', '0.00%']]
    assert human(fields['buckets']).split() == ['t0', '42', '2', '4.76%']
    assert human(fields['request_latency']).split() == [
        'instance.create', 'n=4', 'p50', '2.00s', 'p95', '3.00s', 'p99',
        '3.00s', 'max', '1m01s']
    assert machine(fields['by_service']) == BODY['by_service']
    assert set(query(api.last_request)) == {'since', 'project_id',
                                            'bucket'}
    assert query(api.last_request)['bucket'] == '600'


def test_long_breakdowns_are_cut_in_tables_only():
    items = [{'host': 'h%d' % i, 'notifications': 1, 'errors': 0,
              'error_rate': 0.0} for i in range(20)]
    lines = summary.breakdown_lines(items, rows=3)
    assert len(lines) == 4
    assert lines[-1] == '... 17 more (-f json shows all)'
