"""The pure parts of the analysis queries: timelines, statistics, steps,
twins."""

import collections
import datetime

from stacktach_ng.analyses import operations
from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import timings

T0 = datetime.datetime(2026, 1, 1)


def _at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def _update(seconds, vm_state, task_state, message_id, old_task_state=None):
    return {'generated_at': _at(seconds), 'message_id': message_id,
            'event_type': 'compute.instance.update', 'request_id': 'q1',
            'service': 'compute', 'host': 'h1', 'vm_state': vm_state,
            'task_state': task_state, 'power_state': None, 'status': None,
            'old_task_state': old_task_state}


def test_timeline_uses_new_values_only():
    rows = [
        _update(0, 'building', 'scheduling', 'a'),
        _update(1, 'building', None, 'b', old_task_state='scheduling'),
        # nova reports None -> networking as networking -> networking.
        _update(2, 'building', 'networking', 'c',
                old_task_state='networking'),
        _update(2.0004, 'building', 'networking', 'c2'),
        _update(3, 'building', 'spawning', 'd'),
        _update(4, 'building', 'spawning', 'e', old_task_state='spawning'),
        _update(10, 'active', None, 'f'),
        {'generated_at': _at(11), 'message_id': 'g',
         'event_type': 'compute.instance.create.end', 'request_id': 'q1',
         'service': 'compute', 'host': 'h1', 'vm_state': 'active',
         'task_state': 'scheduling', 'power_state': None, 'status': None},
    ]
    transitions, states = lifecycles.timeline(rows)
    assert [(s['task_state'], s['duration_us']) for s in states] == [
        ('scheduling', 1000000), (None, 1000000), ('networking', 1000000),
        ('spawning', 7000000), (None, None)]
    vm = [(t['from'], t['to']) for t in transitions
          if t['field'] == 'vm_state']
    assert vm == [(None, 'building'), ('building', 'active')]
    assert lifecycles.time_in_task_states(states) == {
        'scheduling': 1000000, 'networking': 1000000, 'spawning': 7000000}


def test_status_timeline_of_a_volume():
    rows = [{'generated_at': _at(i), 'message_id': str(i),
             'event_type': event, 'request_id': None, 'service': 'volume',
             'host': 'c1@lvm', 'vm_state': None, 'task_state': None,
             'power_state': None, 'status': status}
            for i, (event, status) in enumerate([
                ('volume.create.start', 'creating'),
                ('volume.create.end', 'available'),
                ('volume.attach.start', 'attaching'),
                ('volume.attach.end', 'in-use')])]
    transitions, states = lifecycles.timeline(rows)
    assert [t['to'] for t in transitions] == [
        'creating', 'available', 'attaching', 'in-use']
    assert states == []


def test_nearest_rank_percentiles():
    values = list(range(1, 101))
    assert timings.percentile(values, 50) == 50
    assert timings.percentile(values, 95) == 95
    assert timings.percentile(values, 99) == 99
    assert timings.percentile([7], 99) == 7
    assert timings.percentile([], 50) is None
    stats = timings.statistics([5, 1, 3], errors=1, count=4)
    assert stats == {'count': 4, 'errors': 1, 'min_us': 1, 'p50_us': 3,
                     'p95_us': 5, 'p99_us': 5, 'max_us': 5}


def _op(op_id, operation, request_id, start, end, outcome='success'):
    return {'id': op_id, 'operation': operation,
            'family': operations.family_of(operation),
            'resource_id': 'i1', 'resource_type': 'instance',
            'request_id': request_id, 'project_id': 'p', 'host': 'h',
            'started_at': _at(start), 'ended_at': _at(end),
            'duration_us': int((end - start) * 1e6), 'outcome': outcome}


def test_resize_steps_are_one_operation():
    ops = [_op(1, 'instance.create', 'q0', 0, 50),
           _op(2, 'instance.resize_prep', 'q1', 100, 101),
           _op(3, 'instance.resize', 'q1', 102, 110),
           _op(4, 'instance.resize_finish', 'q1', 111, 120),
           _op(5, 'instance.resize_confirm', 'q2', 200, 203),
           _op(6, 'instance.resize_prep', 'q3', 300, 301, 'error')]
    grouped = timings.group_steps(ops)
    assert [g['operation'] for g in grouped] == [
        'instance.create', 'instance.resize', 'instance.resize']
    first = grouped[1]
    assert [s['id'] for s in first['steps']] == [2, 3, 4, 5]
    assert first['duration_us'] == 103000000
    assert first['outcome'] == 'success'
    assert grouped[2]['outcome'] == 'error'


Row = collections.namedtuple('Row', 'twin_key versioned generated_us '
                                    'message_id')


def test_twins_count_once():
    rows = [Row('k', False, 1000, 'a'), Row('k', True, 1350, 'b'),
            Row('k', False, 9000000, 'c'),  # a later failure, no twin
            Row('j', True, 5000, 'd')]
    kept = errors.collapse_twins(rows)
    assert sorted(r.message_id for r in kept) == ['b', 'c', 'd']
