from stacktach_ng.client.osc.v1 import summary
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def test_summary(api, run):
    api.get(url('/v1/summary'), json={
        'notifications': 42, 'error_rate': 0.1,
        'event_types': [{'event_type': 'a', 'count': 42}]})
    columns, data = run(summary.ShowSummary, '--since', '1d',
                        '--project', 'p1')
    fields = dict(zip(columns, data, strict=True))
    assert fields['notifications'] == 42
    assert machine(fields['event_types']) == [{'event_type': 'a',
                                               'count': 42}]
    assert set(query(api.last_request)) == {'since', 'project_id'}
