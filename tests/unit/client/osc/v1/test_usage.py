import pytest
from osc_lib import exceptions as osc_exc

from stacktach_ng.client.osc.v1 import usage
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url

REPORT = {
    'start': '2026-01-01T00:00:00', 'end': '2026-02-01T00:00:00',
    'project_id': None,
    'projects': [{'project_id': 'p1', 'instances': 2,
                  'instance_hours': 10.0, 'vcpu_hours': 20.0,
                  'memory_mb_hours': 40960.0, 'disk_gb_hours': 200.0,
                  'image_gb_hours': 1.5, 'volume_gb_hours': 3.0,
                  'flavors': [{'flavor_id': '1', 'flavor_name': 'm1.small',
                               'instances': 2, 'instance_hours': 10.0,
                               'vcpu_hours': 20.0,
                               'memory_mb_hours': 40960.0,
                               'disk_gb_hours': 200.0}]}],
    'totals': {'instances': 2, 'instance_hours': 10.0, 'vcpu_hours': 20.0,
               'memory_mb_hours': 40960.0, 'disk_gb_hours': 200.0,
               'image_gb_hours': 1.5, 'volume_gb_hours': 3.0}}


@pytest.mark.parametrize('kind', ['launches', 'deletes', 'exists'])
def test_list_each_kind(api, run, kind):
    api.get(url('/v1/usage/%s' % kind), json={kind: [{'id': 1}],
                                              'next': None})
    columns, rows = run(usage.ListUsage, '--kind', kind,
                        '--resource', 'r-1')
    assert columns == usage.KINDS[kind][0]
    assert rows[0][0] == 1
    expected = {'limit': '100'}
    expected['instance_id' if kind == 'launches' else 'resource_id'] = 'r-1'
    assert query(api.last_request) == expected


def test_list_options_that_do_not_fit_the_kind(run):
    with pytest.raises(osc_exc.CommandError):
        run(usage.ListUsage, '--type', 'volume')
    with pytest.raises(osc_exc.CommandError):
        run(usage.ListUsage, '--kind', 'deletes', '--status', 'failed')


def test_report_rows(api, run):
    api.get(url('/v1/usage/report'), json=REPORT)
    columns, rows = run(usage.ReportUsage, '--start', '2026-01-01',
                        '--end', '2026-02-01', '--all-projects')
    assert columns == usage.REPORT_COLUMNS
    assert [row[:4] for row in rows] == [
        ('project', 'p1', None, None), ('flavor', 'p1', '1', 'm1.small'),
        ('total', None, None, None)]
    assert rows[0][columns.index('vcpu_hours')] == 20.0
    assert rows[1][columns.index('image_gb_hours')] is None
    assert query(api.last_request) == {
        'start': '2026-01-01T00:00:00', 'end': '2026-02-01T00:00:00',
        'all_projects': 'true'}
    columns, rows = run(usage.ReportUsage, '--start', '2026-01-01',
                        '--end', '2026-02-01', '--no-flavors')
    assert [row[0] for row in rows] == ['project', 'total']


def test_report_period_must_be_positive(run):
    with pytest.raises(osc_exc.CommandError, match='after'):
        run(usage.ReportUsage, '--start', '2026-02-01', '--end',
            '2026-01-01')
