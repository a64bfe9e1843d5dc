"""The analyses on real databases: real samples, order independence,
nova's ``both`` format, rebuild."""

import datetime
import glob
import json
import os
import random

import pytest

from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import timings
from stacktach_ng.queries import traces
from stacktach_ng.replay import rebuild as rebuild_command
from stacktach_ng.simulator import engine
from tests.functional.analyses import fixtures

BOOT_INSTANCE = 'c0f7a023-224d-58d5-a132-c11e31fbcdac'
BOOT_REQUEST = 'req-e34af08d-502f-52fb-a938-ee58408fa371'


def _ts(text):
    return datetime.datetime.strptime(text, '%Y-%m-%d %H:%M:%S.%f')


def _boot_messages(samples_dir):
    path = os.path.join(samples_dir, 'boot-sequence',
                        'legacy-notigen-create_24.wire-v1.json')
    with open(path) as stream:
        return json.load(stream)


def test_boot_sequence_timeline_and_duration(migrated_conf, samples_dir):
    messages = _boot_messages(samples_dir)
    database = fixtures.load(migrated_conf, messages, batch_size=7)
    try:
        with database.reader() as connection:
            resource = lifecycles.get_resource(connection, BOOT_INSTANCE)
            trace = traces.get_trace(connection, BOOT_REQUEST)
    finally:
        database.dispose()

    # The captured updates, as (time, new task state), collapsed.
    expected = []
    for message in messages:
        if message['event_type'] != 'compute.instance.update':
            continue
        state = message['payload']['new_task_state']
        if not expected or expected[-1][1] != state:
            expected.append((_ts(message['timestamp'] + (
                '' if '.' in message['timestamp'] else '.0')), state))
    got = [(i['entered_at'], i['task_state'])
           for i in resource['task_states']]
    assert got == expected
    assert [s for _, s in got] == [
        'scheduling', None, 'networking', 'block_device_mapping',
        'spawning', None]
    assert resource['time_in_task_state']['spawning'] == (
        (_ts('2015-01-22 20:45:43.313962')
         - _ts('2015-01-22 20:44:53.346196')) // datetime.timedelta(
            microseconds=1))
    assert resource['vm_state'] == 'active'
    assert resource['task_state'] is None

    create = [o for o in resource['operations']
              if o['operation'] == 'instance.create']
    assert len(create) == 1
    assert create[0]['started_at'] == _ts('2015-01-22 20:44:52.363064')
    assert create[0]['ended_at'] == _ts('2015-01-22 20:45:43.346168')
    assert create[0]['duration_us'] == 50983104
    assert create[0]['outcome'] == 'success'

    assert trace['outcome'] == 'success'
    assert trace['duration_us'] == 52346168
    kinds = [child['operation'] for child in trace['root']['children']]
    assert kinds == ['scheduler.run_instance', 'instance.create']
    inside = sum(len(c['notifications'])
                 for c in trace['root']['children']) + len(
        trace['root']['notifications'])
    assert inside == 24


def _simulated(fmt, count=2500, seed=7):
    simulator = engine.Simulator(seed=seed, fmt=fmt, failure_rate=0.3,
                                 stuck_rate=0.05)
    return list(simulator.messages(count=count)), simulator.truth


def _windows_shuffled(messages, window, seed):
    source = random.Random(seed)
    out = []
    for start in range(0, len(messages), window):
        chunk = messages[start:start + window]
        source.shuffle(chunk)
        out.extend(chunk)
    return out


def _with_duplicates(messages, share, seed):
    source = random.Random(seed)
    out = list(messages)
    for message in source.sample(messages, int(len(messages) * share)):
        out.insert(source.randrange(len(out) + 1), message)
    return out


@pytest.mark.parametrize('fmt', ['both'])
def test_order_and_duplicates_do_not_matter(migrated_conf, tmp_path, fmt):
    messages, truth = _simulated(fmt)
    orders = {
        'reversed': (list(reversed(messages)), 113),
        'shuffled': (_windows_shuffled(messages, 200, 1), 50),
        'duplicates': (_with_duplicates(messages, 0.05, 2), 97),
    }
    database = fixtures.load(migrated_conf, messages, batch_size=100)
    try:
        expected = fixtures.snapshot(database)
        assert expected['operations'] and expected['error_events']
        # The reference itself is right, not only repeatable.
        assert _assert_operations_match_truth(_list_operations(database),
                                              truth) > 100
        for name, (ordered, batch_size) in orders.items():
            fixtures.empty(database, migrated_conf)
            fixtures.load(migrated_conf, ordered,
                          batch_size=batch_size).dispose()
            assert fixtures.snapshot(database) == expected, name
    finally:
        database.dispose()


def test_rebuild_recomputes_the_same(migrated_conf):
    messages, truth = _simulated('legacy', count=800, seed=3)
    database = fixtures.load(migrated_conf, messages, batch_size=64)
    try:
        before = fixtures.snapshot(database)
        assert _assert_operations_match_truth(_list_operations(database),
                                              truth) > 20
        handlers = [h for h in pipeline.load_handlers(migrated_conf)
                    if h.name in ('lifecycle', 'timings', 'rollups',
                                  'open_work', 'traces', 'errors',
                                  'summary')]
        replayed = rebuild_command.rebuild_handlers(database, handlers,
                                                    chunk_size=150)
        assert replayed == len({m['message_id'] for m in messages})
        assert fixtures.snapshot(database) == before
        assert _assert_operations_match_truth(_list_operations(database),
                                              truth) > 20
    finally:
        database.dispose()


# A semantic check, run once, on SQLite (the backends' agreement is
# checked by the tests that run on each of them).
SQLITE_ONLY = pytest.mark.parametrize('database_url', ['sqlite'],
                                      indirect=True)


# The operation of each phase of the simulator's truth, written out here
# rather than asked of the analyses: nova's legacy names become the
# versioned ones (the operation names of the API), the other services'
# names stay. A phase missing here fails the test until it is added.
PHASE_OPERATIONS = {
    'compute.instance.create': 'instance.create',
    'compute.instance.delete': 'instance.delete',
    'compute.instance.finish_resize': 'instance.resize_finish',
    'compute.instance.power_off': 'instance.power_off',
    'compute.instance.power_on': 'instance.power_on',
    'compute.instance.reboot': 'instance.reboot',
    'compute.instance.rebuild': 'instance.rebuild',
    'compute.instance.resize': 'instance.resize',
    'compute.instance.resize.confirm': 'instance.resize_confirm',
    'compute.instance.resize.prep': 'instance.resize_prep',
    'compute.instance.shutdown': 'instance.shutdown',
    'compute.instance.snapshot': 'instance.snapshot',
    'scheduler.select_destinations': 'scheduler.select_destinations',
    'port.create': 'port.create',
    'port.delete': 'port.delete',
    'port.update': 'port.update',
    'volume.attach': 'volume.attach',
    'volume.create': 'volume.create',
    'volume.delete': 'volume.delete',
    'volume.detach': 'volume.detach',
}


def _list_operations(database):
    with database.reader() as connection:
        stored, _more = timings.list_operations(
            connection, limit=100000, now=datetime.datetime(2030, 1, 1))
    return stored


def _assert_operations_match_truth(stored, truth):
    """Each phase of the simulator's truth is one stored operation with
    the truth's outcome, start and end (the times the simulator chose,
    not computed from the notifications); return how many were checked."""
    by_request_op = {}
    for o in stored:
        by_request_op.setdefault((o['request_id'], o['operation']),
                                 []).append(o)
    checked = 0
    for op in truth.operations.values():
        for phase in op.phases:
            name = PHASE_OPERATIONS[phase.name]
            found = by_request_op.get((phase.request_id, name), [])
            if name.startswith('instance.'):
                found = [o for o in found
                         if o['resource_id'] == op.resource_id]
            assert len(found) == 1, (op.id, phase.name, found)
            got = found[0]
            want_outcome = {'in_progress': 'open', 'stuck': 'open'}.get(
                phase.outcome, phase.outcome)
            assert got['outcome'] == want_outcome, (op.id, phase.name)
            assert got['started_at'] == phase.started_at, (op.id, phase.name)
            assert got['ended_at'] == phase.ended_at, (op.id, phase.name)
            checked += 1
    return checked


@SQLITE_ONLY
@pytest.mark.parametrize('fmt', ['legacy', 'versioned', 'both'])
def test_simulator_ground_truth(migrated_conf, database_url, fmt):
    # The same simulated time in every format: ``both`` sends nova's
    # events twice, it needs twice the messages to get as far (and reach
    # operations stuck for longer than the threshold below).
    messages, truth = _simulated(fmt, count=6000 if fmt == 'both' else 3000,
                                 seed=11)
    database = fixtures.load(migrated_conf, messages, batch_size=200)
    try:
        with database.reader() as connection:
            stored, _more = timings.list_operations(
                connection, limit=100000,
                now=datetime.datetime(2030, 1, 1))
            end = max(_ts(m['timestamp']) for m in messages)
            stuck, _more = lifecycles.list_stuck(
                connection, older_than=600,
                now=end, limit=10000)
            failures = errors.error_events(connection, limit=100000)
    finally:
        database.dispose()
    assert _assert_operations_match_truth(stored, truth) > 100

    # Stuck for longer than the threshold when the traffic ends.
    cutoff = end - datetime.timedelta(seconds=600)
    want_stuck = {op.resource_id for op in truth.operations.values()
                  if op.outcome == 'stuck' and (
                      op.task_states[-1]['at'] if op.task_states
                      else op.started_at) < cutoff}
    assert want_stuck
    assert {item['resource_id'] for item in stuck} == want_stuck

    want_errors = [op for op in truth.operations.values()
                   if op.outcome == 'error']
    assert want_errors
    failed_requests = {f['request_id'] for f in failures}
    for op in want_errors:
        assert op.request_id in failed_requests, op.id
        classes = {f['exception'] for f in failures
                   if f['request_id'] == op.request_id}
        if fmt != 'legacy':
            assert op.error['type'] in classes, (op.id, classes)


def _is_versioned(body):
    return 'nova_object.data' in (body.get('payload') or {})


@SQLITE_ONLY
def test_nova_both_format_counts_once(migrated_conf, database_url):
    """The operations and error groups of ``both`` traffic are those of its
    legacy half: the versioned twins add nothing."""
    both, _ = _simulated('both', count=3000, seed=5)
    legacy = [body for body in both if not _is_versioned(body)]
    assert len(legacy) < len(both)
    seen = {}
    for name, messages in (('legacy', legacy), ('both', both)):
        database = fixtures.load(migrated_conf, messages)
        try:
            with database.reader() as connection:
                ops, _ = timings.list_operations(
                    connection, limit=100000,
                    now=datetime.datetime(2030, 1, 1))
                groups, _ = errors.list_errors(connection, limit=1000)
        finally:
            fixtures.empty(database)
            database.dispose()
        seen[name] = (
            sorted((o['request_id'], o['operation'], o['started_at'],
                    o['ended_at'], o['outcome']) for o in ops),
            sum(g['count'] for g in groups))
    assert seen['both'][0] == seen['legacy'][0]
    assert seen['both'][1] == seen['legacy'][1] > 0


@SQLITE_ONLY
def test_notigen_templates_are_timed(migrated_conf, database_url,
                                     samples_dir):
    paths = sorted(glob.glob(os.path.join(
        samples_dir, 'stacktach-notigen', 'templates', '*.json')))
    assert len(paths) == 21
    expected = {
        'compute.instance.create.start_23.json': ('instance.create',
                                                  'success'),
        'compute.instance.create.start_24.json': ('instance.create',
                                                  'success'),
        'compute.instance.create.start_25.json': ('instance.create',
                                                  'success'),
        # A boot rescheduled twice, failing on every attempt: one
        # operation per attempt.
        'compute.instance.create.start_65.json': ('instance.create',
                                                  ('error',) * 3),
        'compute.instance.delete.start_7.json': ('instance.delete',
                                                 'error'),
        'compute.instance.delete.start_8.json': ('instance.delete',
                                                 'success'),
        'compute.instance.power_off.start_4.json': ('instance.power_off',
                                                    'success'),
        'compute.instance.power_off.start_5.json': ('instance.power_off',
                                                    'success'),
        'compute.instance.reboot.start_6.json': ('instance.reboot',
                                                 'success'),
        'compute.instance.rebuild.start_14.json': ('instance.rebuild',
                                                   'error'),
        'compute.instance.rebuild.start_24.json': ('instance.rebuild',
                                                   'success'),
        'compute.instance.rescue.start_19.json': ('instance.rescue',
                                                  'success'),
        'compute.instance.rescue.start_6.json': ('instance.rescue',
                                                 'error'),
        'compute.instance.resize.confirm.start_12.json': (
            'instance.resize_confirm', 'success'),
        'compute.instance.resize.confirm.start_4.json': (
            'instance.resize_confirm', 'success'),
        'compute.instance.resize.prep.start_24.json': (
            'instance.resize_finish', 'success'),
        'compute.instance.snapshot.start_7.json': ('instance.snapshot',
                                                   'open'),
        'compute.instance.snapshot.start_8.json': ('instance.snapshot',
                                                   'error'),
        'compute.instance.snapshot.start_9.json': ('instance.snapshot',
                                                   'success'),
        'compute.instance.unrescue.start_6.json': ('instance.unrescue',
                                                   'success'),
    }
    for path in paths:
        name = os.path.basename(path)
        messages = fixtures.render_notigen(path)
        database = fixtures.load(migrated_conf, messages)
        try:
            with database.reader() as connection:
                ops, _ = timings.list_operations(
                    connection, limit=1000,
                    now=datetime.datetime(2030, 1, 1))
        finally:
            fixtures.empty(database)
            database.dispose()
        if name == 'eod_exists.json':
            assert ops == []
            continue
        operation, outcome = expected[name]
        found = sorted((o for o in ops if o['operation'] == operation),
                       key=lambda o: o['attempt'])
        outcomes = outcome if isinstance(outcome, tuple) else (outcome,)
        assert [o['outcome'] for o in found] == list(outcomes), (name, ops)
        assert [o['attempt'] for o in found] == list(range(len(outcomes)))
        for op in ops:
            if op['outcome'] != 'open' and op['started_at'] is not None:
                assert op['duration_us'] >= 0, (name, op)
                assert op['duration_us'] == (
                    (op['ended_at'] - op['started_at'])
                    // datetime.timedelta(microseconds=1))


@SQLITE_ONLY
def test_nova_versioned_samples_are_understood(migrated_conf, database_url,
                                               samples_dir):
    paths = sorted(glob.glob(os.path.join(samples_dir, 'nova-resolved',
                                          '*.json')))
    bodies = []
    for index, path in enumerate(paths):
        with open(path) as stream:
            sample = json.load(stream)
        sample['message_id'] = 'sample-%03d' % index
        sample['timestamp'] = '2026-01-01 00:00:%02d.%06d' % (
            index // 100, index)
        bodies.append(sample)
    database = fixtures.load(migrated_conf, bodies)
    try:
        with database.reader() as connection:
            ops, _ = timings.list_operations(
                connection, limit=1000, now=datetime.datetime(2030, 1, 1))
            failures = errors.error_events(connection, limit=1000)
    finally:
        database.dispose()
    # A versioned ``<object>.<action>.start``/``.end`` is the operation
    # ``<object>.<action>`` (nova's own naming; the failures reported
    # without a phase are counted below).
    phased = [b['event_type'].rsplit('.', 1) for b in bodies]
    expected = {name for name, phase in phased if phase in ('start', 'end')}
    assert len(expected) > 40
    assert expected <= {o['operation'] for o in ops}
    errors_in = [b for b in bodies if b['priority'] == 'ERROR']
    assert len(failures) == len(errors_in) == 14
    for failure in failures:
        assert failure['exception'], failure
        assert failure['message'], failure


@SQLITE_ONLY
def test_project_scope_is_enforced(migrated_conf, database_url,
                                   samples_dir):
    database = fixtures.load(migrated_conf, _boot_messages(samples_dir))
    try:
        with database.reader() as connection:
            assert lifecycles.get_resource(
                connection, BOOT_INSTANCE, project_id='other') is None
            assert traces.get_trace(
                connection, BOOT_REQUEST, project_id='other') is None
            assert timings.list_operations(
                connection, project_id='other')[0] == []
            own = lifecycles.get_resource(connection, BOOT_INSTANCE,
                                          project_id='5551234')
            assert own['resource_id'] == BOOT_INSTANCE
    finally:
        database.dispose()
