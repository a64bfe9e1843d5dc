"""The ground truth says exactly what the messages say."""

import datetime
import json

from stacktach_ng.common import timestamps
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import truth as T

# The .start that opens each operation (legacy names) and what ends it.
MAIN = {
    'create': ('compute.instance.create.start',
               'compute.instance.create.end'),
    'delete': ('compute.instance.delete.start',
               'compute.instance.delete.end'),
    'resize': ('compute.instance.resize.prep.start',
               'compute.instance.finish_resize.end'),
    'resize_confirm': ('compute.instance.resize.confirm.start',
                       'compute.instance.resize.confirm.end'),
    'snapshot': ('compute.instance.snapshot.start',
                 'compute.instance.snapshot.end'),
    'reboot': ('compute.instance.reboot.start',
               'compute.instance.reboot.end'),
    'power_off': ('compute.instance.power_off.start',
                  'compute.instance.power_off.end'),
    'power_on': ('compute.instance.power_on.start',
                 'compute.instance.power_on.end'),
    'rebuild': ('compute.instance.rebuild.start',
                'compute.instance.rebuild.end'),
}


def _time(notification):
    return timestamps.parse(notification.body['timestamp'])


def test_durations_are_end_minus_start(legacy_run):
    checked = 0
    for op in legacy_run.operations(outcome='success'):
        messages = legacy_run.by_operation[op.id]
        start_event, end_event = MAIN[op.name]
        start = [n for n in messages if n.body['event_type'] == start_event]
        end = [n for n in messages if n.body['event_type'] == end_event]
        assert len(start) == 1 and len(end) == 1
        assert op.started_at == _time(start[0])
        assert op.ended_at == _time(end[0])
        delta = _time(end[0]) - _time(start[0])
        assert op.duration_us == delta // datetime.timedelta(
            microseconds=1)
        checked += 1
    assert checked > 100


def test_error_end_is_the_error_message(legacy_run):
    for op in legacy_run.operations(outcome='error'):
        messages = legacy_run.by_operation[op.id]
        closing = [n for n in messages
                   if n.body['event_type'] == op.error['event_type']]
        assert len(closing) == 1
        assert closing[0].body['priority'] == 'ERROR'
        assert op.ended_at == _time(closing[0])
        assert op.duration_us == T.duration_us(op.started_at, op.ended_at)


def test_phases_match_their_messages(legacy_run):
    for op in list(legacy_run.truth.operations.values())[:400]:
        messages = legacy_run.by_operation[op.id]
        for phase in op.phases:
            starts = [n for n in messages
                      if n.body['event_type'] == phase.name + '.start' and
                      _time(n) == phase.started_at]
            assert len(starts) == 1, phase.name
            assert starts[0].body.get('_context_request_id') == \
                phase.request_id
            if phase.ended_at is not None:
                ends = [n for n in messages
                        if n.body['event_type'] == phase.ended_by and
                        _time(n) == phase.ended_at]
                assert len(ends) == 1, (phase.name, phase.ended_by)
                assert phase.outcome in ('success', 'error')
            else:
                assert phase.outcome in ('in_progress', 'error')


def test_first_and_last_message_times(legacy_run):
    for op in legacy_run.truth.operations.values():
        messages = legacy_run.by_operation[op.id]
        assert op.first_at == messages[0].time
        assert op.last_at == messages[-1].time


def test_task_state_timeline_follows_the_updates(legacy_run):
    for op in legacy_run.truth.operations.values():
        changes = []
        for n in legacy_run.by_operation[op.id]:
            if n.body['event_type'] != 'compute.instance.update':
                continue
            state = (n.body['payload']['state'],
                     n.body['payload']['new_task_state'])
            if not changes or changes[-1][1:] != state:
                changes.append((_time(n),) + state)
        assert [(s['at'], s['vm_state'], s['task_state'])
                for s in op.task_states] == changes


def test_instances_launched_and_deleted(legacy_run):
    truth = legacy_run.truth
    for op in legacy_run.operations('delete', 'success'):
        record = truth.instances[op.resource_id]
        end = [n for n in legacy_run.by_operation[op.id]
               if n.body['event_type'] == 'compute.instance.delete.end'][0]
        assert record.deleted_at == timestamps.parse(
            end.body['payload']['deleted_at'])
        assert record.deleted_at <= _time(end)
    for op in legacy_run.operations('resize', 'success'):
        record = truth.instances[op.resource_id]
        assert op.related['new_flavor'] in [
            change['to'] for change in record.flavor_changes]
        assert op.request_id in [launch['request_id']
                                 for launch in record.launches]


def test_exists_records_match_the_messages(legacy_run):
    sent = [n for n in legacy_run.notifications
            if n.body['event_type'] == 'compute.instance.exists']
    recorded = [r for r in legacy_run.truth.exists
                if r['kind'] == 'instance']
    assert len(sent) == len(recorded)
    for n, record in zip(sent, recorded, strict=True):
        payload = n.body['payload']
        assert payload['instance_id'] == record['resource_id']
        assert timestamps.parse(payload['launched_at']) == \
            record['launched_at']
        assert record['launched_at'].microsecond == 0
        assert payload['instance_flavor_id'] == record['flavor']
        assert timestamps.parse(payload['audit_period_ending']) == \
            record['audit_period_ending']
        assert _time(n) == record['sent_at']
    images = [n for n in legacy_run.notifications
              if n.body['event_type'] == 'image.exists']
    volumes = [n for n in legacy_run.notifications
               if n.body['event_type'] == 'volume.exists']
    assert images and volumes
    assert len(images) == len([r for r in legacy_run.truth.exists
                               if r['kind'] == 'image'])
    assert len(volumes) == len([r for r in legacy_run.truth.exists
                                if r['kind'] == 'volume'])


def test_stuck_list(legacy_run):
    stuck = legacy_run.truth.stuck
    ops = legacy_run.operations(outcome='stuck')
    assert len(stuck) == len(ops) > 0
    for entry in stuck:
        op = legacy_run.truth.operations[entry['operation']]
        assert entry['task_state'] == op.last_task_state
        assert entry['since'] == op.last_at


def test_truth_written_as_json(tmp_path, both_run):
    path = tmp_path / 'truth.json'
    both_run.truth.write(str(path))
    data = json.loads(path.read_text())
    assert data['messages'] == len(both_run.notifications)
    assert len(data['operations']) == len(both_run.truth.operations)
    op = next(o for o in data['operations'] if o['outcome'] == 'success')
    for key in ('request_id', 'global_request_id', 'resource_id',
                'project_id', 'name', 'hosts', 'started_at', 'ended_at',
                'duration_us', 'outcome', 'error', 'task_states',
                'phases'):
        assert key in op
    assert op['started_at'][10] == ' ' and len(op['started_at']) == 26
    assert {'instances', 'images', 'volumes', 'exists', 'stuck'} <= set(
        data)


def test_truth_so_far():
    sim = engine.Simulator(seed=31)
    list(sim.messages(count=40))
    first = {op.id for op in sim.truth.operations.values()}
    assert first
    assert all(op.first_at is not None
               for op in sim.truth.operations.values())
    list(sim.messages(count=400))
    assert len(sim.truth.operations) > len(first)
    assert sim.truth.messages == 440
