"""The attempts of an operation where the common cases do not reach: a
key scoped by its resource (no request id), legacy and versioned
attempts that are not as many, a failure without a phase among the
attempts. The expected rows come from the real reschedule capture
(``tests/fixtures/openstack/reschedule.jsonl``, the times of its legacy
notifications) or are written out by hand."""

import datetime

import pytest

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.analyses import timings
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import runner
from tests import base
from tests import captures
from tests import reschedule


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 't.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield conf, database
    database.dispose()


def _without_request_ids(value):
    """A body with every request id removed, in the context and in the
    versioned payload (where nova puts one too)."""
    if isinstance(value, dict):
        return {key: (None if key in ('request_id', 'global_request_id')
                      else _without_request_ids(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_without_request_ids(item) for item in value]
    return value


def _load(conf, database, batches):
    pipe = runner.Pipeline(conf, database, source='import')
    for batch in batches:
        pipe.process(captures.envelopes(batch))


@pytest.mark.parametrize('seed', [None, 3])
def test_attempts_of_a_key_without_request(database, seed):
    # The reschedule with its request ids gone: the boot's operations
    # are keyed by the instance alone (glance and others send no request
    # id), and recomputing the attempts reads the instance's stored
    # notifications instead of the request's. The attempts are still
    # compute1's failed spawn and compute2's boot, each from its legacy
    # create.start to its legacy create.error / create.end, as captured.
    conf, db = database
    bodies = [_without_request_ids(body)
              for body in captures.messages('reschedule')]
    batches = ([bodies] if seed is None
               else captures.shuffled_batches(bodies, seed))
    _load(conf, db, batches)
    creates = reschedule.operations_of(db, 'instance.create')
    assert [(o['attempt'], o['host'], o['outcome'], o['request_id'])
            for o in creates] == [(0, 'compute1', 'error', None),
                                  (1, 'compute2', 'success', None)]
    legacy = reschedule.legacy_time
    assert [(o['started_at'], o['ended_at']) for o in creates] == [
        (legacy('compute.instance.create.start', 'compute1'),
         legacy('compute.instance.create.error', 'compute1')),
        (legacy('compute.instance.create.start', 'compute2'),
         legacy('compute.instance.create.end', 'compute2'))]


_AT = datetime.datetime(2026, 1, 1, 12)


def _endpoint(seconds, versioned, phase, message_id):
    """An endpoint of ``attempt_rows``, as ``_stored_endpoints`` reads
    one: (time us, format, message id, phase, row)."""
    row = {'message_id': message_id, 'resource_id': 'vm-1',
           'resource_type': 'instance', 'project_id': 'p-1',
           'host': 'compute1', 'service': 'nova-compute',
           'object_name': 'InstanceActionPayload' if versioned else None,
           'generated_at': _AT + datetime.timedelta(seconds=seconds)}
    return (times.to_us(row['generated_at']), int(versioned), message_id,
            phase, row)


def test_unequal_formats_pair_twins_by_time():
    # Two attempts; the legacy end of the second and the versioned copy
    # of the whole first attempt were lost. The versioned start of the
    # second attempt came 0.5 ms after its legacy start (nova sends the
    # copy right after): its twin is the second attempt, whose end is
    # then the versioned one. By hand: attempt 0 runs 0 s -> 2 s and
    # failed, attempt 1 runs 10 s -> 12 s and succeeded.
    start, end, error = operations.START, operations.END, operations.ERROR
    endpoints = [
        _endpoint(0, False, start, 'l1'), _endpoint(2, False, error, 'l2'),
        _endpoint(10, False, start, 'l3'),
        _endpoint(10.0005, True, start, 'v3'),
        _endpoint(12, True, end, 'v4'),
    ]
    rows = timings.attempt_rows(('', 'req-1', 'instance.create'),
                                endpoints)
    second = 1000000
    base_us = times.to_us(_AT)
    assert [(r['attempt'], r['start_us'] - base_us, r['end_us'] - base_us,
             r['outcome']) for r in rows] == [
        (0, 0, 2 * second, 'error'), (1, 10 * second, 12 * second,
                                      'success')]
    # The legacy start is kept over its versioned twin.
    assert rows[1]['start_message_id'] == 'l3'
    assert rows[1]['end_message_id'] == 'v4'


def _versioned_with_compute_exception():
    """The reschedule as nova sends it with ``notification_format =
    versioned``, compute1's failure reported by ``wrap_exception`` as a
    ``compute.exception`` of the decorated ``build_and_run_instance``
    (the phaseless form: the operation is read from the payload), at the
    time and under the request of the captured ``instance.create.error``.
    """
    bodies = []
    for body in captures.messages('reschedule'):
        if 'nova_object.name' not in body['payload']:
            continue
        if body['event_type'] == 'instance.create.error':
            fault = body['payload']['nova_object.data']['fault']
            data = dict(fault['nova_object.data'],
                        function_name='build_and_run_instance',
                        module_name='nova.compute.manager')
            body = dict(body, event_type='compute.exception',
                        priority='ERROR',
                        payload=dict(fault, **{'nova_object.data': data}))
        bodies.append(body)
    return bodies


def test_a_phaseless_failure_ends_its_attempt(database):
    # Recomputing the attempts reads the failure's stored payload for
    # the operation it ends: compute1's attempt ends in error at the
    # compute.exception, compute2's in success at its create.end.
    conf, db = database
    bodies = _versioned_with_compute_exception()
    _load(conf, db, [bodies])
    error_at = [datetime.datetime.strptime(b['metadata']['timestamp'],
                                           '%Y-%m-%d %H:%M:%S.%f')
                for b in bodies if b['event_type'] == 'compute.exception']
    creates = reschedule.operations_of(db, 'instance.create')
    assert [(o['attempt'], o['host'], o['outcome']) for o in creates] == [
        (0, 'compute1', 'error'), (1, 'compute2', 'success')]
    assert [creates[0]['ended_at']] == error_at


@pytest.mark.parametrize('one_batch', [False, True])
def test_recomputing_a_key_leaves_the_others_attempts(database, one_batch):
    # The boot traced under its request, then the same traffic again
    # without request ids (new message ids: other notifications): two
    # keys of two attempts each, in two batches or in one. Recomputing
    # one key rewrites its own attempts and no other key's, and a batch
    # finds the keys of both kinds that have several attempts.
    conf, db = database
    bodies = captures.messages('reschedule')
    (action, _events) = reschedule.nova_build_events()
    again = []
    for body in bodies:
        body = _without_request_ids(body)
        body['metadata'] = dict(body['metadata'], message_id='again-'
                                + body['metadata']['message_id'])
        again.append(body)
    _load(conf, db, [bodies + again] if one_batch else [bodies, again])
    creates = reschedule.operations_of(db, 'instance.create')
    assert sorted((o['request_id'] or '', o['attempt'], o['host'],
                   o['outcome']) for o in creates) == [
        ('', 0, 'compute1', 'error'), ('', 1, 'compute2', 'success'),
        (action['request_id'], 0, 'compute1', 'error'),
        (action['request_id'], 1, 'compute2', 'success')]


def test_the_nearest_legacy_attempt_is_the_twin():
    # A failed attempt retried within the second: both legacy attempts
    # are within the twin window of the only versioned one, which starts
    # 0.5 ms after the second (nova's copy) and is its twin, not the
    # first's. The legacy end of the second attempt was lost: its end is
    # the versioned one. By hand: attempt 0 runs 0 -> 0.2 s (error),
    # attempt 1 runs 0.6 -> 0.9005 s (success).
    start, end, error = operations.START, operations.END, operations.ERROR
    endpoints = [
        _endpoint(0, False, start, 'l1'), _endpoint(0.2, False, error, 'l2'),
        _endpoint(0.6, False, start, 'l3'),
        _endpoint(0.6005, True, start, 'v3'),
        _endpoint(0.9005, True, end, 'v4'),
    ]
    rows = timings.attempt_rows(('', 'req-1', 'instance.create'),
                                endpoints)
    base_us = times.to_us(_AT)
    assert [(r['attempt'], r['start_us'] - base_us, r['end_us'] - base_us,
             r['outcome']) for r in rows] == [
        (0, 0, 200000, 'error'), (1, 600000, 900500, 'success')]


def _summary(rows):
    """(attempt, start, end, outcome) of rows, times in us from _AT."""
    base_us = times.to_us(_AT)

    def since(value):
        return None if value is None else value - base_us

    return [(r['attempt'], since(r['start_us']), since(r['end_us']),
             r['outcome']) for r in rows]


_START, _END, _ERROR = operations.START, operations.END, operations.ERROR


def test_a_versioned_attempt_far_from_every_legacy_one_is_its_own():
    # Three attempts, the legacy copy of the middle one lost: its
    # versioned start is 10 s from either legacy attempt, beyond the twin
    # window, so it is an attempt of its own and not folded into the
    # nearest (which would keep that one's legacy outcome and lose this
    # success). By hand: 0 -> 2 s error, 10 -> 12 s success, 20 -> 22 s
    # success.
    endpoints = [
        _endpoint(0, False, _START, 'l1'), _endpoint(2, False, _ERROR, 'l2'),
        _endpoint(20, False, _START, 'l5'), _endpoint(22, False, _END, 'l6'),
        _endpoint(10, True, _START, 'v3'), _endpoint(12, True, _END, 'v4'),
    ]
    rows = timings.attempt_rows(('', 'req-1', 'instance.create'),
                                endpoints)
    second = 1000000
    assert _summary(rows) == [
        (0, 0, 2 * second, 'error'), (1, 10 * second, 12 * second, 'success'),
        (2, 20 * second, 22 * second, 'success')]


def test_the_twin_window_includes_its_end():
    # Exactly TWIN_WINDOW_US (1 s) between the legacy and the versioned
    # start: "within" the window, so twins; the legacy end of the second
    # attempt was lost and its versioned end (at 4 s) ends it. Two
    # attempts by hand: 0 -> 0.5 s error, 2 -> 4 s success.
    endpoints = [
        _endpoint(0, False, _START, 'l1'),
        _endpoint(0.5, False, _ERROR, 'l2'),
        _endpoint(2, False, _START, 'l3'),
        _endpoint(3, True, _START, 'v3'), _endpoint(4, True, _END, 'v4'),
    ]
    assert timings.TWIN_WINDOW_US == 1000000
    rows = timings.attempt_rows(('', 'req-1', 'instance.create'),
                                endpoints)
    assert _summary(rows) == [(0, 0, 500000, 'error'),
                              (1, 2000000, 4000000, 'success')]


def test_a_legacy_attempt_has_one_twin_at_most():
    # Legacy: attempts at -5 s, 0 s (failed at 0.2 s) and 0.9 s (its end
    # lost). Versioned: the copies of the last two, at 0.0005 s and 0.4 s.
    # The first versioned one is the 0 s attempt's twin; the second is
    # nearer to that one too (0.4 s against 0.5 s) but it is taken, so it
    # is the 0.9 s attempt's twin and gives it its end (1.2 s, success).
    endpoints = [
        _endpoint(-5, False, _START, 'l0'), _endpoint(-4, False, _END, 'la'),
        _endpoint(0, False, _START, 'l1'),
        _endpoint(0.2, False, _ERROR, 'l2'),
        _endpoint(0.9, False, _START, 'l3'),
        _endpoint(0.0005, True, _START, 'v1'),
        _endpoint(0.2005, True, _ERROR, 'v2'),
        _endpoint(0.4, True, _START, 'v3'), _endpoint(1.2, True, _END, 'v4'),
    ]
    rows = timings.attempt_rows(('', 'req-1', 'instance.create'),
                                endpoints)
    assert _summary(rows) == [
        (0, -5000000, -4000000, 'success'), (1, 0, 200000, 'error'),
        (2, 900000, 1200000, 'success')]


def test_an_inferred_end_does_not_beat_a_reported_one_among_attempts():
    # Two schedulings, each reported from start to end; then the
    # conductor's "no valid host" infers the end of a scheduling that
    # never started: with nothing open it joins the last attempt, where
    # the reported end still wins (merge.INFERRED). By hand: 0 -> 1 s and
    # 5 -> 5.5 s, both successes.
    inferred = _endpoint(8, True, _ERROR, 'v5')
    inferred = (inferred[0], merge.INFERRED + 1) + inferred[2:]
    endpoints = [
        _endpoint(0, True, _START, 'v1'), _endpoint(1, True, _END, 'v2'),
        _endpoint(5, True, _START, 'v3'), _endpoint(5.5, True, _END, 'v4'),
        inferred,
    ]
    rows = timings.attempt_rows(
        ('', 'req-1', 'scheduler.select_destinations'), endpoints)
    assert _summary(rows) == [(0, 0, 1000000, 'success'),
                              (1, 5000000, 5500000, 'success')]


class _Record:
    def __init__(self, row):
        self.row = row
        self.payload = {}


def _notification(event_type, seconds, message_id, project_id):
    return {'event_type': event_type, 'priority': 'INFO',
            'message_id': message_id, 'resource_id': 'vm-1',
            'request_id': 'req-1', 'project_id': project_id,
            'resource_type': 'instance', 'host': 'compute1',
            'service': 'nova-compute', 'object_name': None,
            'generated_at': _AT + datetime.timedelta(seconds=seconds)}


@pytest.mark.parametrize('reverse', [False, True])
def test_a_batch_row_keeps_the_least_project_and_its_endpoints_ids(reverse):
    # An operation whose notifications name two projects (the start the
    # owner's, the end the acting admin's): the row keeps the least,
    # 'p-a', in either order, as the stored merge does (merge.least); its
    # start and end are the notifications' own, by message id, and so
    # are its host and service.
    # The end comes from another host (as a migration's does).
    records = [_Record(_notification('compute.instance.create.start', 0,
                                     'm-start', 'p-b')),
               _Record(dict(_notification('compute.instance.create.end', 3,
                                          'm-end', 'p-a'),
                            host='compute2'))]
    if reverse:
        records.reverse()
    (row,) = timings.operation_rows(records)
    assert row['project_id'] == 'p-a'
    # Where it started and ended: the start's host and service, the
    # end's host.
    assert (row['host'], row['service'], row['end_host']) == (
        'compute1', 'nova-compute', 'compute2')
    assert (row['start_message_id'], row['end_message_id']) == (
        'm-start', 'm-end')
    assert row['end_us'] - row['start_us'] == 3000000
    assert (row['legacy_starts'], row['legacy_ends']) == (1, 1)


@pytest.mark.parametrize('reverse', [False, True])
def test_a_failure_naming_no_resource_keeps_the_operation_s(reverse):
    # nova's compute.exception names no instance: the operation it ends,
    # under the same request, still belongs to the instance its start
    # named, in either order in the batch (a batch holds notifications in
    # any order). By hand: vm-1, an instance, 0 -> 2 s, error.
    start = _notification('compute.instance.create.start', 0, 'm-start',
                          'p-a')
    failure = dict(_notification('compute.exception', 2, 'm-fail', 'p-a'),
                   priority='ERROR', resource_id=None, resource_type=None,
                   object_name='ExceptionPayload')
    records = [_Record(start), _Record(failure)]
    records[1].payload = {'nova_object.data': {
        'function_name': 'build_and_run_instance'}}
    if reverse:
        records.reverse()
    (row,) = timings.operation_rows(records)
    assert (row['operation'], row['resource_id'], row['resource_type']) == (
        'instance.create', 'vm-1', 'instance')
    assert (row['end_us'] - row['start_us'], row['outcome']) == (
        2000000, 'error')


def test_what_nothing_scopes_starts_nothing():
    # A start that names neither a resource nor a request (masakari's
    # segment.create.start, before the segment has a uuid) opens no
    # operation; an end of the same kind is still kept. An operation
    # name is cut to the column's 128 characters.
    start = dict(_notification('segment.create.start', 0, 'm1', 'p-a'),
                 resource_id=None, request_id=None)
    end = dict(start, event_type='segment.create.end', message_id='m2')
    assert timings.endpoints_of(start, {}) == []
    assert timings.endpoints_of(end, {}) == [('segment.create', 'end', 0)]
    named = dict(start, resource_id='seg-1')
    assert timings.endpoints_of(named, {}) == [
        ('segment.create', 'start', 0)]
    long_name = 'x' * 200 + '.start'
    ((operation, _phase, _format),) = timings.endpoints_of(
        dict(named, event_type=long_name), {})
    assert operation == 'x' * 128
