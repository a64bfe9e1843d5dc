"""The analysis commands (requests, resources, timings, errors, summary)
against the no-auth API process over simulated traffic."""

import csv
import io

from tests.functional.client.conftest import SIMULATED

PERIOD = ('--since', '2026-02-01T00:00:00', '--until', '2026-02-08T00:00:00')


def test_request_list_and_trace(openstack):
    failed = openstack.json('stacktach', 'request', 'list', '--outcome',
                            'error', '--limit', '5')
    assert failed
    assert {item['outcome'] for item in failed} == {'error'}
    trace = openstack.json('stacktach', 'request', 'show',
                           failed[0]['request_id'])
    assert trace['request_id'] == failed[0]['request_id']
    assert trace['outcome'] == 'error'
    root = trace['spans']
    assert trace['critical_path'][0] == root['id']
    table = openstack.run('stacktach', 'request', 'show',
                          failed[0]['request_id'], '-c', 'spans').stdout
    # The root is on the critical path and failed: both marks.
    assert '| *!' in table
    assert failed[0]['request_id'] in table


def test_request_list_filters_by_operation(openstack):
    creates = openstack.json('stacktach', 'request', 'list', '--operation',
                             'instance.create', '--outcome', 'success',
                             '--limit', '10', '--long')
    assert creates
    for item in creates:
        assert item['operation'] == 'instance.create'
        assert item['outcome'] == 'success'
        assert item['duration_us'] >= 0
        assert 'notifications' in item


def test_resource_lifecycle(openstack):
    operations = openstack.json('stacktach', 'timing', 'list', '--operation',
                                'instance.create', '--outcome', 'success',
                                '--limit', '1')
    instance = operations[0]['resource_id']
    lifecycle = openstack.json('stacktach', 'resource', 'show', instance)
    assert lifecycle['resource_id'] == instance
    fields = {t['field'] for t in lifecycle['transitions']}
    assert {'vm_state', 'task_state'} <= fields
    assert any(op['operation'] == 'instance.create'
               for op in lifecycle['operations'])
    table = openstack.run('stacktach', 'resource', 'show', instance,
                          '-c', 'transitions', '-c', 'task_states').stdout
    assert '-> building' in table and 'scheduling' in table


def test_stuck_resources(openstack):
    # The simulated day is long past: every operation still open then
    # counts as stuck for an hour and more.
    stuck = openstack.json('stacktach', 'resource', 'list', '--stuck',
                           '--older-than', '1h', '--long')
    assert stuck
    for item in stuck:
        assert item['stuck_for_us'] >= 3600 * 10**6
        assert item['operation']['outcome'] == 'open'
    ages = [item['stuck_for_us'] for item in stuck]
    assert ages == sorted(ages, reverse=True)


def test_timing_list_and_summary(openstack):
    listed = openstack.json('stacktach', 'timing', 'list', '--operation',
                            'instance.*', '--outcome', 'success',
                            '--limit', '20')
    assert listed
    for item in listed:
        assert item['operation'].startswith('instance.')
        assert item['outcome'] == 'success'
    rows = openstack.json('stacktach', 'timing', 'summary', *PERIOD)
    by_operation = {row['operation']: row for row in rows}
    create = by_operation['instance.create']
    assert create['count'] >= 1
    assert create['min_us'] <= create['p50_us'] <= create['p95_us'] \
        <= create['p99_us'] <= create['max_us']
    per_host = openstack.json('stacktach', 'timing', 'summary', *PERIOD,
                              '--operation', 'instance.create',
                              '--group-by', 'host')
    assert sum(row['count'] for row in per_host) == create['count']
    assert all('host' in row and 'operation' not in row
               for row in per_host)
    text = openstack.run('stacktach', 'timing', 'summary', *PERIOD,
                         '-f', 'csv').stdout
    header = next(csv.reader(io.StringIO(text)))
    assert header == ['operation', 'count', 'errors', 'min_us', 'p50_us',
                      'p95_us', 'p99_us', 'max_us']


def test_errors(openstack):
    groups = openstack.json('stacktach', 'error', 'list', *PERIOD, '--long')
    assert groups
    first = groups[0]
    group = openstack.json('stacktach', 'error', 'show',
                           first['fingerprint'], *PERIOD)
    assert group['fingerprint'] == first['fingerprint']
    assert group['count'] == first['count']
    assert len(group['events']) == min(group['count'], 100)
    assert set(group['hosts']) == set(first['hosts'])
    missing = openstack.run('stacktach', 'error', 'show', 'ffffffffffffffff',
                            check=False)
    assert missing.returncode == 1 and '404' in missing.stderr


def test_summary(openstack):
    kpis = openstack.json('stacktach', 'summary', *PERIOD)
    assert kpis['notifications'] == SIMULATED
    assert sum(item['notifications']
               for item in kpis['by_service']) == SIMULATED
    assert 0.0 <= kpis['error_rate'] <= 1.0
    table = openstack.run('stacktach', 'summary', *PERIOD).stdout
    assert 'request_latency' in table and 'p95' in table
