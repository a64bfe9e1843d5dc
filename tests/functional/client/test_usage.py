"""``usage list|report`` and ``verification list`` against the no-auth
API process over simulated traffic."""

import csv
import io

from stacktach_ng.client.osc.v1 import usage

PERIOD = ('--start', '2026-01-31T00:00:00', '--end', '2026-02-08T00:00:00')


def test_usage_list_kinds(openstack):
    launches = openstack.json('stacktach', 'usage', 'list', '--limit', '20',
                              '--long')
    assert launches
    for item in launches:
        assert item['instance_id'] and item['kind']
    ids = [item['id'] for item in launches]
    assert ids == sorted(ids, reverse=True)
    instance = launches[0]['instance_id']
    mine = openstack.json('stacktach', 'usage', 'list', '--resource',
                          instance)
    assert mine and {item['instance_id'] for item in mine} == {instance}
    deletes = openstack.json('stacktach', 'usage', 'list', '--kind',
                             'deletes', '--type', 'instance')
    assert {item['resource_type'] for item in deletes} <= {'instance'}
    exists = openstack.json('stacktach', 'usage', 'list', '--kind',
                            'exists', '--limit', '10')
    assert exists
    assert {item['status'] for item in exists} <= set(usage.STATUSES)


def test_usage_report_as_csv(openstack):
    text = openstack.run('stacktach', 'usage', 'report', *PERIOD,
                         '--all-projects', '-f', 'csv').stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(usage.REPORT_COLUMNS)
    projects = [row for row in rows if row['scope'] == 'project']
    total = [row for row in rows if row['scope'] == 'total']
    assert projects and len(total) == 1
    assert abs(sum(float(row['instance_hours']) for row in projects)
               - float(total[0]['instance_hours'])) < 1e-3
    for project in projects:
        flavors = [row for row in rows if row['scope'] == 'flavor'
                   and row['project_id'] == project['project_id']]
        assert abs(sum(float(row['vcpu_hours']) for row in flavors)
                   - float(project['vcpu_hours'])) < 1e-3
    report = openstack.json('stacktach', 'usage', 'report', *PERIOD,
                            '--all-projects', '--no-flavors')
    assert [row['scope'] for row in report].count('flavor') == 0


def test_verification_list(openstack):
    verdicts = openstack.json('stacktach', 'verification', 'list',
                              '--status', 'pending', '--limit', '10')
    assert {item['status'] for item in verdicts} <= {'pending'}
