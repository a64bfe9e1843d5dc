"""The analyses against a real nova: captured traffic, Nova's own records.

``tests/fixtures/openstack`` holds what a nova 34 cloud (fake virt driver,
``notification_format = both``) sent to the ``stacktach`` topic during
each step of a scenario, and what Nova itself recorded (server show,
instance actions and their events, the instances table). Each test loads
the traffic of a step through the real pipeline into SQLite and compares
stacktach-ng's answer with Nova's record, not with expectations written
here. See the fixtures' SOURCES.rst for how they were produced.
"""

import datetime
import json

import pytest
import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import notifications
from stacktach_ng.queries import summary
from stacktach_ng.queries import timings
from stacktach_ng.queries import traces
from stacktach_ng.queries import usage
from tests import base
from tests import captures

_messages = captures.messages
_records = captures.nova_records


def _time(text):
    return timestamps.parse(text)


def _sent_at(message):
    return _time(message['metadata']['timestamp'])


@pytest.fixture
def load(tmp_path):
    """Load messages through the pipeline into a fresh SQLite database;
    returns the Database."""
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'nova.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    pipeline = runner.Pipeline(conf, database, source='import')

    def _load(messages):
        pipeline.process(captures.envelopes(messages))
        return database

    yield _load
    database.dispose()


def _sent_while_frozen(frozen, *steps):
    """The notifications of ``steps`` sent before the frozen service of
    ``frozen`` (a step's ``during_step`` record) was thawed."""
    thawed_at = _time(frozen['thawed_at'])
    return [m for step in steps for m in _messages(step)
            if _sent_at(m) < thawed_at]


def _only(mapping):
    assert len(mapping) == 1
    return next(iter(mapping.items()))


def test_a_boot_stuck_between_scheduler_and_compute_is_stuck(load):
    """nova-compute frozen: the server stays BUILD/scheduling after the
    scheduler chose a host, with no operation open (nothing was sent)."""
    frozen = _records('stuck-boot')['during_step']
    thawed_at = _time(frozen['thawed_at'])
    server_id, server = _only(frozen['while_frozen']['servers'])
    database = load(_sent_while_frozen(frozen, 'stuck-boot'))
    with database.reader() as connection:
        stuck, _more = lifecycles.list_stuck(connection, older_than=25,
                                             now=thawed_at)
    assert [item['resource_id'] for item in stuck] == [server_id]
    item = stuck[0]
    assert item['task_state'] == server['OS-EXT-STS:task_state']
    assert item['vm_state'] == server['OS-EXT-STS:vm_state']
    # Nova recorded no event of the create action: nothing is open.
    actions = frozen['while_frozen']['instance_actions'][server_id]
    assert [event for action in actions for event in action['events']] == []
    assert item['operation'] is None
    # The scheduler is done; the flow waits on a nova-compute, whose host
    # no notification names (Nova's server shows none either).
    assert item['waiting_on']['service'] == 'nova-compute'
    assert item['waiting_on']['host'] == server['OS-EXT-SRV-ATTR:host']
    # Not stuck at a shorter age than it has been in the task state.
    with database.reader() as connection:
        assert lifecycles.list_stuck(
            connection, older_than=(thawed_at - item['since']).seconds + 1,
            now=thawed_at)[0] == []


def test_a_delete_waiting_on_neutron_names_neutron(load):
    """neutron-server frozen: the delete stays in nova-compute's shutdown,
    which releases the ports; Nova's terminate event is open on the host."""
    frozen = _records('stuck-delete')['during_step']
    thawed_at = _time(frozen['thawed_at'])
    # A server show waits on neutron too: Nova's instances table tells.
    instance = _only({i['uuid']: i for i in
                      frozen['while_frozen']['instances']})[1]
    server_id = instance['uuid']
    database = load(_sent_while_frozen(frozen, 'stuck-boot', 'stuck-delete'))
    with database.reader() as connection:
        stuck, _more = lifecycles.list_stuck(connection, older_than=25,
                                             now=thawed_at)
    assert [item['resource_id'] for item in stuck] == [server_id]
    item = stuck[0]
    assert item['task_state'] == instance['task_state']
    assert item['vm_state'] == instance['vm_state']
    delete = [action for action in
              frozen['while_frozen']['instance_actions'][server_id]
              if action['action'] == 'delete']
    open_events = [event for action in delete for event in action['events']
                   if event['finish_time'] is None]
    assert len(open_events) == 1
    assert item['operation']['request_id'] == delete[0]['request_id']
    assert item['operation']['outcome'] == 'open'
    # nova-compute's shutdown waits on neutron (the ports), on the host of
    # Nova's open event.
    assert item['waiting_on']['service'] == 'neutron'
    assert open_events[0]['host'] in item['waiting_on']['detail']


def test_a_request_with_an_open_span_is_open(load):
    """While the delete's shutdown waits on neutron, Nova's delete action
    has an unfinished event: the request is open, with no duration."""
    frozen = _records('stuck-delete')['during_step']
    thawed_at = _time(frozen['thawed_at'])
    server_id = frozen['while_frozen']['instances'][0]['uuid']
    delete = [action for action in
              frozen['while_frozen']['instance_actions'][server_id]
              if action['action'] == 'delete'][0]
    assert any(event['finish_time'] is None for event in delete['events'])
    database = load(_sent_while_frozen(frozen, 'stuck-delete'))
    with database.reader() as connection:
        found, _more = traces.list_requests(connection)
        trace = traces.get_trace(connection, delete['request_id'],
                                 now=thawed_at)
        opened, _more = traces.list_requests(connection, outcome='open')
        succeeded, _more = traces.list_requests(connection,
                                                outcome='success')
    request = {r['request_id']: r for r in found}[delete['request_id']]
    assert request['outcome'] == 'open'
    assert request['duration_us'] is None
    assert request['ended_at'] is None
    assert trace['outcome'] == 'open'
    assert delete['request_id'] in {r['request_id'] for r in opened}
    assert delete['request_id'] not in {r['request_id'] for r in succeeded}


def test_an_ended_request_has_nova_s_duration(load):
    """After the thaw, the delete ended: success, and its duration is
    Nova's (the action's start to its event's finish, to the second)."""
    records = _records('stuck-delete')
    database = load(_messages('stuck-delete'))
    server_id = records['during_step']['while_frozen']['instances'][0][
        'uuid']
    delete = [action for action in records['instance_actions'][server_id]
              if action['action'] == 'delete'][0]
    with database.reader() as connection:
        found, _more = traces.list_requests(connection, outcome='success')
    request = {r['request_id']: r for r in found}[delete['request_id']]
    finished = max(_time(event['finish_time'])
                   for event in delete['events'])
    nova_seconds = (finished - _time(delete['start_time'])).total_seconds()
    # Nova keeps whole seconds: the action's start is truncated, the
    # event's finish too.
    assert abs(request['duration_us'] / 1e6 - nova_seconds) <= 1.0


def test_a_failed_boot_is_a_failed_instance_create(load):
    """NoValidHost: Nova records a failed ``create`` action; the request
    is an instance.create in error, counted in the request latency, and
    no scheduling span is made up (the scheduler sent nothing)."""
    records = _records('novalidhost')
    server_id, server = _only(records['servers'])
    assert server['status'] == 'ERROR'
    action = _only({a['action']: a for a in
                    records['instance_actions'][server_id]})[1]
    assert action['action'] == 'create' and action['message'] == 'Error'
    messages = _messages('novalidhost')
    database = load(messages)
    with database.reader() as connection:
        failed, _more = traces.list_requests(
            connection, operation='instance.create', outcome='error')
        operations = timings.operations_of(
            connection, request_ids=[action['request_id']])
        day = _sent_at(messages[0]).replace(hour=0, minute=0, second=0,
                                            microsecond=0)
        kpis = summary.summary(connection, day,
                               day + datetime.timedelta(days=1))
    assert [r['request_id'] for r in failed] == [action['request_id']]
    assert failed[0]['duration_us'] is not None
    assert not any(m['event_type'].startswith('scheduler.')
                   for m in messages)
    assert 'scheduler.select_destinations' not in {
        op['operation'] for op in operations}
    latency = {row['operation']: row for row in kpis['request_latency']}
    assert latency['instance.create']['count'] == 1
    assert latency['instance.create']['errors'] == 1


def test_one_no_valid_host_is_one_error_with_nova_s_message(load):
    """The legacy and the versioned report of the fault are one
    occurrence of one group, with the message Nova recorded."""
    records = _records('novalidhost')
    server = _only(records['servers'])[1]
    database = load(_messages('novalidhost'))
    with database.reader() as connection:
        groups, _more = errors.list_errors(connection)
    assert len(groups) == 1
    group = groups[0]
    assert group['count'] == 1
    assert group['message'] == server['fault']['message']
    assert group['exception'] == 'NoValidHost_Remote'
    assert group['services'] == ['nova-conductor']


@pytest.mark.parametrize('step', ['boot', 'reschedule', 'resize-confirm',
                                  'delete', 'novalidhost', 'stuck-boot',
                                  'stuck-delete', 'stop-start', 'audit'])
def test_one_service_one_name(load, step):
    """Every nova service is named after its binary, whatever the format
    that named it."""
    database = load(_messages(step))
    with database.reader() as connection:
        services, _more = notifications.count_by(connection, 'service')
    names = {item['service'] for item in services}
    assert names
    assert names <= {'nova-compute', 'nova-conductor', 'nova-scheduler',
                     'nova-api'}, names


def test_one_audit_record_per_instance_and_period(load):
    """nova's usage audit sends each record in both formats: stored
    once each, as many as the instances Nova's task log says it audited."""
    records = _records('audit')
    period = records['during_step']
    beginning = _time(period['period_beginning'])
    ending = _time(period['period_ending'])
    audited = sum(row['task_items'] for row in records['task_log']
                  if _time(row['period_beginning']) == beginning
                  and _time(row['period_ending']) == ending)
    messages = _messages('audit')
    sent = [m for m in messages if m['event_type'].endswith('exists')]
    assert len(sent) == 2 * audited
    database = load(messages)
    with database.reader() as connection:
        found, _more = usage.list_exists(connection, limit=1000)
    in_period = [row for row in found
                 if _time(row['audit_period_beginning']) == beginning
                 and _time(row['audit_period_ending']) == ending]
    assert len(in_period) == audited
    assert len({row['resource_id'] for row in in_period}) == audited
    # The legacy copy is the one kept.
    assert {row['event_type'] for row in in_period} == {
        'compute.instance.exists'}


def test_a_boot_no_compute_started_is_an_open_request(load):
    """Every operation of the stuck boot's request ended (the scheduler's),
    but Nova's create action has no finished event and the server is
    still scheduling: the request is open."""
    frozen = _records('stuck-boot')['during_step']
    thawed_at = _time(frozen['thawed_at'])
    server_id, server = _only(frozen['while_frozen']['servers'])
    assert server['OS-EXT-STS:task_state'] == 'scheduling'
    [create] = frozen['while_frozen']['instance_actions'][server_id]
    assert create['action'] == 'create'
    assert all(event['finish_time'] is None for event in create['events'])
    database = load(_sent_while_frozen(frozen, 'stuck-boot'))
    with database.reader() as connection:
        found, _more = traces.list_requests(connection)
        opened, _more = traces.list_requests(connection, outcome='open')
        day = thawed_at.replace(hour=0, minute=0, second=0, microsecond=0)
        kpis = summary.summary(connection, day,
                               day + datetime.timedelta(days=1))
    request = {r['request_id']: r for r in found}[create['request_id']]
    assert request['outcome'] == 'open'
    assert request['duration_us'] is None
    assert [r['request_id'] for r in opened] == [create['request_id']]
    assert kpis['request_latency'] == []
    # Once the compute host built it, the request ended.
    database = load([m for m in _messages('stuck-boot')
                     if _sent_at(m) >= thawed_at])
    with database.reader() as connection:
        found, _more = traces.list_requests(connection)
    assert found[0]['outcome'] == 'success'


def test_the_token_nova_puts_in_a_legacy_request_spec_is_never_stored(load):
    """nova 34's legacy scheduler payloads carry the user's token deep in
    the request spec (``pci_requests._context.auth_token``); the captures
    hold it masked, so it is put back here to check it is masked again."""
    token = 'gAAAAABreal-looking-fernet-token-0123456789'
    messages = json.loads(json.dumps(_messages('stuck-boot')).replace(
        '"auth_token": "***"', '"auth_token": "%s"' % token))
    assert token in json.dumps(messages)
    database = load(messages)
    with database.reader() as connection:
        rows = connection.execute(sa.select(
            models.Notification.__table__)).all()
    assert rows
    assert not any(token in str(tuple(row)) for row in rows)


def test_priority_error_catches_what_an_error_glob_misses(load):
    """The README's ``watch --priority ERROR``: legacy nova names some
    error notifications after the failing function, which no ``*.error``
    glob matches; the ERROR priority catches every one of them."""
    database = load(_messages('novalidhost'))
    sent = {envelope['event_type'] for envelope in captures.envelopes(
        _messages('novalidhost')) if envelope['priority'].upper() == 'ERROR'}
    with database.reader() as connection:
        by_priority, _more = notifications.list_notifications(
            connection, filters={'priority': 'ERROR'}, limit=1000)
        by_glob, _more = notifications.list_notifications(
            connection, event_type='*.error', limit=1000)
    priority_types = {item['event_type'] for item in by_priority}
    glob_types = {item['event_type'] for item in by_glob}
    assert priority_types == sent
    assert glob_types < priority_types
    assert 'compute_task.build_instances' in priority_types - glob_types


# The steps of the scenario in the order they were played (SOURCES.rst).
STEPS = ('setup', 'boot', 'stop-start', 'resize-confirm', 'delete',
         'novalidhost', 'reschedule', 'stuck-boot', 'stuck-delete',
         'audit')

# The operation each nova-compute event of an instance action is, written
# out here from nova's code (``wrap_instance_event`` names the event after
# the compute manager's method): not asked of the analyses.
COMPUTE_EVENTS = {
    'compute__do_build_and_run_instance': 'instance.create',
    'compute_stop_instance': 'instance.power_off',
    'compute_start_instance': 'instance.power_on',
    'compute_prep_resize': 'instance.resize_prep',
    'compute_resize_instance': 'instance.resize',
    'compute_finish_resize': 'instance.resize_finish',
    'compute_confirm_resize': 'instance.resize_confirm',
    'compute_terminate_instance': 'instance.delete',
}

# What a request is named after, from the API action Nova recorded for it
# (a confirmation is a step of the resize it confirms).
API_ACTIONS = {
    'create': 'instance.create', 'stop': 'instance.power_off',
    'start': 'instance.power_on', 'resize': 'instance.resize',
    'confirmResize': 'instance.resize', 'delete': 'instance.delete',
}

_SECOND = datetime.timedelta(seconds=1)


def _load_all(load):
    database = None
    for step in STEPS:
        database = load(_messages(step))
    return database


def test_every_compute_event_nova_recorded_is_an_operation_inside_it(load):
    """Each event Nova recorded on a compute host is one operation of the
    action's request on that host, with Nova's result, lying inside
    Nova's event (whose times Nova truncates to the second)."""
    database = _load_all(load)
    actions = _records('audit')['instance_actions']
    checked = 0
    with database.reader() as connection:
        for server_id, server_actions in actions.items():
            for action in server_actions:
                found = timings.operations_of(
                    connection, request_ids=[action['request_id']])
                events = [e for e in action['events']
                          if e['event'] in COMPUTE_EVENTS]
                by_name = {}
                for event in events:
                    by_name.setdefault(event['event'], []).append(event)
                for name, same in by_name.items():
                    ops = sorted((o for o in found
                                  if o['operation'] == COMPUTE_EVENTS[name]
                                  and o['resource_id'] == server_id),
                                 key=lambda o: o['attempt'])
                    # One attempt per event: a rescheduled boot is two.
                    assert len(ops) == len(same), (action, ops)
                    if len(same) > 1:
                        # Nova updates the newest row of an event name
                        # whatever the host that finished it: only the
                        # hosts and the end of the last attempt tell.
                        assert {o['host'] for o in ops} == {
                            e['host'] for e in same}
                        assert ops[-1]['outcome'] == 'success'
                        assert [o['outcome'] for o in ops[:-1]] == [
                            'error'] * (len(ops) - 1)
                        continue
                    (event,), (op,) = same, ops
                    assert op['host'] == event['host'], (event, op)
                    assert op['outcome'] == {'Success': 'success',
                                             'Error': 'error'}[
                        event['result']], (event, op)
                    assert _time(event['start_time']) <= op['started_at']
                    assert op['ended_at'] < (
                        _time(event['finish_time']) + _SECOND)
                    assert op['duration_us'] == (
                        (op['ended_at'] - op['started_at'])
                        // datetime.timedelta(microseconds=1))
                    checked += 1
    # Three boots, the stop, the start, the resize's prep, resize and
    # finish, its confirmation, two deletes and the stuck boot: 12 single
    # events (and the rescheduled boot's two).
    assert checked == 12


def test_every_request_has_the_outcome_nova_recorded(load):
    """A request is named after the API call and ends as Nova's action
    did: ``message`` null is a success, "Error" a failure."""
    database = _load_all(load)
    actions = [action for server in _records('audit')[
        'instance_actions'].values() for action in server]
    with database.reader() as connection:
        found, _more = traces.list_requests(connection, limit=1000)
    requests = {r['request_id']: r for r in found}
    for action in actions:
        request = requests[action['request_id']]
        assert request['operation'] == API_ACTIONS[action['action']]
        assert request['outcome'] == {None: 'success', 'Error': 'error'}[
            action['message']], (action, request)
    # Six boots (one without a valid host), a stop, a start, a resize, its
    # confirmation and two deletes.
    assert len(actions) == 12


def test_usage_hours_are_nova_s_but_for_what_a_resize_hides(load):
    """The usage report over the window of each ``os-simple-tenant-usage``
    Nova answered is Nova's total, plus one thing Nova does not count:
    a resize moves the instance's ``launched_at`` to its finish, so Nova
    forgets the time before it (at the old flavor). That time is derived
    here from Nova's own records of the earlier steps."""
    first_launch = {}   # instance -> (Nova's first launched_at, memory)
    checked = 0
    for step in STEPS:
        database = load(_messages(step))
        if step == 'setup':
            continue
        tenant = _records(step)['simple_tenant_usage']
        for server in tenant['server_usages']:
            first_launch.setdefault(server['instance_id'], (
                _time(server['started_at']), server['memory_mb']))
        hidden = [
            ((_time(server['started_at']) - first_launch[
                server['instance_id']][0]).total_seconds(),
             first_launch[server['instance_id']][1])
            for server in tenant['server_usages']]
        hidden_hours = sum(seconds for seconds, _memory in hidden) / 3600
        hidden_mb_hours = sum(seconds * memory
                              for seconds, memory in hidden) / 3600
        with database.reader() as connection:
            report = usage.usage_report(connection, _time(tenant['start']),
                                        _time(tenant['stop']))
        totals = report['totals']
        # The report rounds to the micro-hour.
        assert totals['instance_hours'] == pytest.approx(
            tenant['total_hours'] + hidden_hours, abs=2e-6), step
        assert totals['vcpu_hours'] == pytest.approx(
            tenant['total_vcpus_usage'] + hidden_hours, abs=2e-6), step
        assert totals['memory_mb_hours'] == pytest.approx(
            tenant['total_memory_mb_usage'] + hidden_mb_hours,
            abs=2e-4), step
        checked += 1
    # The resize of boot-2 is the only hidden time: 35 s at 64 MiB.
    assert [round(seconds) for seconds, _memory in hidden
            if seconds] == [35]
    assert checked == len(STEPS) - 1


def test_summary_counts_add_up_across_batches(load):
    """The KPI counts of notifications split over several batches (the
    same buckets met again and added to) are the captures' own counts:
    each notification once per dimension, the failures those sent at
    ERROR priority or as ``.error`` events."""
    messages = _messages('boot') + _messages('reschedule') + _messages(
        'novalidhost')
    for start in range(0, len(messages), 25):
        database = load(messages[start:start + 25])
    table = models.Base.metadata.tables['summary_counts']
    with database.reader() as connection:
        rows = connection.execute(sa.select(table)).all()
    by_event_type = {}
    for row in rows:
        if row.dimension == 'event_type':
            count = by_event_type.setdefault(row.name, [0, 0])
            count[0] += row.notifications
            count[1] += row.errors
    want = {}
    for message in messages:
        count = want.setdefault(message['event_type'], [0, 0])
        count[0] += 1
        if (message['priority'] in ('error', 'critical')
                or message['event_type'].endswith('.error')):
            count[1] += 1
    assert by_event_type == want
    for dimension in ('service', 'host'):
        same = [row for row in rows if row.dimension == dimension]
        assert sum(row.notifications for row in same) == len(messages)
        assert sum(row.errors for row in same) == 4
