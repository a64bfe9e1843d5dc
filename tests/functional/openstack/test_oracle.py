"""stacktach-ng's answers compared with what a real Nova recorded.

One cloud and one scenario for the whole module (see ``conftest``). Each
test compares an answer of stacktach-ng's API with Nova's own record of
the same thing: server show, ``os-instance-actions`` and their events,
``os-simple-tenant-usage``, ``task_log``, ``os-services``, and the copy of
the traffic taken from a queue of its own. Nothing expected is written by
hand.
"""

import collections
import datetime
import json
import os

import pytest

from tests.functional.openstack import records as records_mod

# Nova keeps action and event times to the second (its DB columns), and
# they are taken around, not at, the notifications' own times.
NOVA_RESOLUTION = datetime.timedelta(seconds=1)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))


def _time(value):
    if value is None:
        return None
    value = value.replace('Z', '').replace('+00:00', '')
    return datetime.datetime.fromisoformat(value)


def _message_id(stored):
    body = stored
    if 'oslo.message' in stored:
        body = json.loads(stored['oslo.message'])
    return body.get('message_id') or (body.get('metadata') or {}).get(
        'message_id')


@pytest.fixture(scope='module')
def nova(oracle):
    return records_mod.Records(oracle.cloud)


def _actions(nova, server_id):
    return {a['action']: a for a in nova.actions(server_id)}


def _request_ids(nova, server_id, action):
    return [a['request_id'] for a in nova.actions(server_id)
            if a['action'] == action]


# -- the traffic --

def test_every_notification_stored_exactly_once(oracle):
    captured = collections.Counter(
        m['metadata']['message_id'] for m in oracle.capture.since(0))
    stored = collections.Counter(_message_id(m) for m in oracle.stored)
    assert {k: n for k, n in stored.items() if n > 1} == {}
    assert set(stored) == set(captured)
    assert sum(stored.values()) == sum(captured.values())


# -- lifecycles against server show --

@pytest.mark.parametrize('name', ['boot-1', 'boot-2', 'boot-3',
                                  'novalidhost', 'reschedule',
                                  'stuck-boot'])
def test_resource_state_is_novas(oracle, nova, name):
    server_id = oracle.server(name)
    row = nova.instance_rows([server_id])[0]
    resource = oracle.stacktach.get('/v1/resources/%s' % server_id)
    assert (resource['vm_state'], resource['task_state']) == (
        row['vm_state'], row['task_state'])


def test_fault_of_the_failed_boot_is_novas(oracle, nova):
    server_id = oracle.server('novalidhost')
    fault = nova.server(server_id)['fault']
    resource = oracle.stacktach.get('/v1/resources/%s' % server_id)
    assert [f['message'].strip() for f in resource['faults']] == [
        fault['message'].strip()]


# -- requests and operations against os-instance-actions ---------------------

@pytest.mark.parametrize('name,action', [
    ('boot-1', 'create'), ('boot-1', 'stop'), ('boot-1', 'start'),
    ('boot-2', 'resize'), ('boot-2', 'confirmResize'),
    ('boot-3', 'delete'), ('stuck-boot', 'create'),
    ('stuck-boot', 'delete')])
def test_request_ends_when_novas_action_does(oracle, nova, name, action):
    server_id = oracle.server(name)
    [detail] = [a for a in nova.actions(server_id) if a['action'] == action]
    finished = [_time(e['finish_time']) for e in detail['events']]
    assert finished and None not in finished
    request = oracle.stacktach.get('/v1/requests/%s'
                                   % detail['request_id'])
    assert request['outcome'] == 'success'
    ended = _time(request['ended_at'])
    assert abs(ended - max(finished)) <= NOVA_RESOLUTION


def _build_attempts(nova, server_id):
    """The create action of a server and its build attempts in time
    order. Nova records every attempt as an event of the same name, and
    finishes the first one it finds (the failed attempt shows the
    success's result and finish time, the successful one none): only the
    hosts and start times of the attempts are Nova's.

    The start times are whole seconds, and a failed attempt and the next
    one often begin in the same second, where Nova lists the newest
    first. Among attempts of the same second, the one on the host the
    server ended on (Nova's ``OS-EXT-SRV-ATTR:host``) comes last: it is
    the attempt that succeeded, and Nova tries again only after a
    failure.
    """
    [create] = [a for a in nova.actions(server_id)
                if a['action'] == 'create']
    final_host = nova.server(server_id)['OS-EXT-SRV-ATTR:host']
    attempts = sorted(
        (e for e in create['events']
         if e['event'] == 'compute__do_build_and_run_instance'),
        key=lambda e: (e['start_time'], e['host'] == final_host))
    return create, attempts


def test_rescheduled_boot_is_a_successful_request(oracle, nova):
    server_id = oracle.server('reschedule')
    assert nova.server(server_id)['status'] == 'ACTIVE'
    create, attempts = _build_attempts(nova, server_id)
    assert len(attempts) == 2
    request = oracle.stacktach.get('/v1/requests/%s' % create['request_id'])
    assert request['outcome'] == 'success'


def test_failed_boot_is_a_failed_create(oracle, nova):
    [request_id] = _request_ids(nova, oracle.server('novalidhost'),
                                'create')
    failed = oracle.stacktach.get_all('/v1/requests', 'requests',
                                      operation='instance.create',
                                      outcome='error')
    assert request_id in [r['request_id'] for r in failed]
    # The scheduler sent nothing for that request: no span of it.
    sent = {m['event_type'] for m in oracle.capture.since(0)
            if m['ctxt'].get('request_id') == request_id}
    timings = oracle.stacktach.get_all('/v1/timings', 'timings',
                                       request_id=request_id)
    assert not any(t['operation'].startswith('scheduler.')
                   for t in timings) or any(
        e.startswith('scheduler.') for e in sent)


def test_failed_creates_are_counted(oracle, nova):
    failed = 0
    for name in oracle.run.servers:
        for action in nova.actions(oracle.server(name)):
            if action['action'] == 'create' and any(
                    e['result'] == 'Error' for e in action['events']):
                failed += 1
    summary = oracle.stacktach.get('/v1/timings/summary',
                                   operation='instance.create')['summary']
    assert sum(row['errors'] for row in summary) == failed


def test_each_build_attempt_is_its_own_operation(oracle, nova):
    server_id = oracle.server('reschedule')
    create, attempts = _build_attempts(nova, server_id)
    assert len(attempts) == 2
    operations = sorted(
        (t for t in oracle.stacktach.get_all(
            '/v1/timings', 'timings', request_id=create['request_id'])
         if t['operation'] == 'instance.create'),
        key=lambda t: t['started_at'])
    # Every attempt but the last failed (nova tries again only then), and
    # the server is ACTIVE: the last one succeeded.
    assert [(o['host'], o['end_host'], o['outcome']) for o in operations] == [
        (e['host'], e['host'], 'error') for e in attempts[:-1]] + [
        (attempts[-1]['host'], attempts[-1]['host'], 'success')]
    # Nova records the event when the build begins, in whole seconds, and
    # sends create.start after the resource claim: later by up to Nova's
    # resolution plus that claim (about a second on a loaded machine).
    for operation, event in zip(operations, attempts):
        late = _time(operation['started_at']) - _time(event['start_time'])
        assert datetime.timedelta(0) <= late <= 2 * NOVA_RESOLUTION


# -- errors --

def test_one_fault_is_one_error_group(oracle, nova):
    server_id = oracle.server('novalidhost')
    [request_id] = _request_ids(nova, server_id, 'create')
    fault = nova.server(server_id)['fault']
    groups = [g for g in oracle.stacktach.get_all('/v1/errors', 'errors')
              if request_id in json.dumps(g['sample_requests'])]
    assert len(groups) == 1
    assert groups[0]['count'] == 1
    assert groups[0]['message'].strip() == fault['message'].strip()


# -- stuck resources --

def test_stuck_boot_is_listed(oracle):
    frozen = oracle.frozen['stuck-boot']
    stuck = {r['resource_id']: r for r in frozen['stuck']}
    assert frozen['server_id'] in stuck
    waiting = stuck[frozen['server_id']]['waiting_on']
    assert waiting['service'] == 'nova-compute'
    # The scheduler chose a host, but no notification names it before its
    # nova-compute starts, and Nova's own row has none yet either.
    [row] = oracle.run.notes['stuck-boot']['while_frozen']['instances']
    assert waiting['host'] == row['host']


def test_nova_kept_the_stuck_boot_scheduling(oracle):
    frozen = oracle.run.notes['stuck-boot']['while_frozen']
    [row] = frozen['instances']
    assert (row['vm_state'], row['task_state']) == ('building',
                                                     'scheduling')
    assert oracle.frozen['stuck-boot']['resource']['task_state'] == (
        'scheduling')


def test_stuck_delete_is_listed(oracle):
    frozen = oracle.frozen['stuck-delete']
    assert frozen['server_id'] in [r['resource_id']
                                   for r in frozen['stuck']]


def test_stuck_delete_waits_on_neutron(oracle):
    frozen = oracle.frozen['stuck-delete']
    [item] = [r for r in frozen['stuck']
              if r['resource_id'] == frozen['server_id']]
    assert (item['waiting_on'] or {}).get('service') == 'neutron'


def test_delete_request_open_while_its_work_is(oracle):
    frozen = oracle.frozen['stuck-delete']
    [row] = oracle.run.notes['stuck-delete']['while_frozen']['instances']
    assert row['task_state'] == 'deleting'
    actions = oracle.run.notes['stuck-delete']['while_frozen'][
        'instance_actions'][frozen['server_id']]
    [delete] = [a for a in actions if a['action'] == 'delete']
    assert [e['finish_time'] for e in delete['events']] == [None]
    requests = {r['request_id']: r for r in frozen['requests']}
    assert requests[delete['request_id']]['outcome'] == 'open'


def test_boot_request_open_while_its_work_is(oracle):
    frozen = oracle.frozen['stuck-boot']
    note = oracle.run.notes['stuck-boot']['while_frozen']
    [row] = note['instances']
    assert (row['vm_state'], row['task_state']) == ('building',
                                                     'scheduling')
    [create] = [a for a in note['instance_actions'][frozen['server_id']]
                if a['action'] == 'create']
    requests = {r['request_id']: r for r in frozen['requests']}
    assert requests[create['request_id']]['outcome'] == 'open'


# -- services --

def test_one_name_per_nova_binary(oracle):
    binaries = {s['binary'] for s in oracle.cloud.admin.get(
        oracle.cloud.urls['nova-api'] + '/os-services')['services']}
    seen = {row['service'] for row in oracle.stacktach.get_all(
        '/v1/services', 'services')}
    aliases = {b.replace('nova-', '') for b in binaries}
    assert not (seen & aliases), 'short names beside %s' % sorted(binaries)


# -- usage --

def _audit_period(oracle):
    note = oracle.run.notes['audit']
    return _time(note['period_beginning']), _time(note['period_ending'])


def test_one_audit_record_per_server_and_period(oracle, nova):
    begin, end = _audit_period(oracle)
    audited = sum(
        row['task_items'] for row in nova.task_log_rows()
        if _time(row['period_ending']) == end)
    exists = [e for e in oracle.stacktach.get_all('/v1/usage/exists',
                                                  'exists')
              if _time(e['audit_period_ending']) == end]
    assert len(exists) == audited
    assert len({e['resource_id'] for e in exists}) == audited


def test_audit_records_verified(oracle):
    begin, end = _audit_period(oracle)
    statuses = collections.Counter(
        e['status'] for e in oracle.stacktach.get_all('/v1/usage/exists',
                                                      'exists')
        if _time(e['audit_period_ending']) == end)
    assert set(statuses) == {'verified'}, statuses


def test_launches_agree_with_simple_tenant_usage(oracle, nova):
    """os-simple-tenant-usage restarts a server's hours at its last
    resize (its ``started_at`` is the resize's launched_at): stacktach-ng
    keeps every launch, and its latest one is Nova's ``started_at``."""
    usage = nova.tenant_usage(oracle.run.started_at,
                              datetime.datetime.utcnow())
    for server in usage['server_usages']:
        launches = oracle.stacktach.get_all(
            '/v1/usage/launches', 'launches',
            instance_id=server['instance_id'])
        latest = max(_time(launch['launched_at']) for launch in launches)
        assert abs(latest - _time(server['started_at'])) < NOVA_RESOLUTION
    resized = oracle.server('boot-2')
    assert len(oracle.stacktach.get_all('/v1/usage/launches', 'launches',
                                        instance_id=resized)) == 2


# -- devstack --

def test_second_compute_has_the_subnode_settings(oracle):
    """compute2's file is a devstack compute subnode's (the plugin in
    producers-only mode): the same notification settings as compute1's,
    from the controller's nova.conf."""
    from tests.functional.openstack import configs
    first, second = (configs.notification_settings(
        oracle.cloud.compute_configs[host]) for host in ('compute1',
                                                         'compute2'))
    assert second['notifications.versioned_notifications_topics'] == (
        'stacktach')
    assert second == first


# -- documentation --

def test_install_guide_has_the_plugins_nova_settings(oracle):
    from tests.functional.openstack import configs
    settings = configs.notification_settings(oracle.cloud.paths['nova'])
    with open(os.path.join(REPO_ROOT, 'doc', 'source', 'install',
                           'index.rst'), encoding='utf-8') as f:
        guide = f.read()
    missing = [name for name in settings
               if name.split('.', 1)[1] not in guide]
    assert missing == []
