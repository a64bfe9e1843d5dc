"""Event naming, fingerprints and merge rules of the analysis handlers."""

import datetime

import pytest

from stacktach_ng.analyses import failures
from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.analyses import timings
from stacktach_ng.analyses import traces


@pytest.mark.parametrize('legacy, versioned, operation, phase', [
    ('compute.instance.create.start', 'instance.create.start',
     'instance.create', 'start'),
    ('compute.instance.resize.prep.end', 'instance.resize_prep.end',
     'instance.resize_prep', 'end'),
    ('compute.instance.finish_resize.start', 'instance.resize_finish.start',
     'instance.resize_finish', 'start'),
    ('compute.instance.resize.confirm.end', 'instance.resize_confirm.end',
     'instance.resize_confirm', 'end'),
    ('compute.instance.live_migration._post.start',
     'instance.live_migration_post.start', 'instance.live_migration_post',
     'start'),
    ('compute.instance.live_migration.post.dest.end',
     'instance.live_migration_post_dest.end',
     'instance.live_migration_post_dest', 'end'),
    ('compute.instance.volume.attach.error',
     'instance.volume_attach.error', 'instance.volume_attach', 'error'),
    ('compute.instance.instance.create.error', 'instance.create.error',
     'instance.create', 'error'),
])
def test_legacy_and_versioned_names_meet(legacy, versioned, operation,
                                         phase):
    assert operations.operation_of(legacy) == (operation, phase)
    assert operations.operation_of(versioned) == (operation, phase)


def test_other_services_keep_their_names():
    assert operations.operation_of('volume.attach.start') == (
        'volume.attach', 'start')
    assert operations.operation_of('scheduler.run_instance.scheduled') == (
        'scheduler.run_instance.scheduled', None)
    assert operations.operation_of('compute.instance.exists') == (
        'instance.exists', None)


def test_wrap_exception_names_the_failed_operation():
    assert operations.error_operation('snapshot_instance', {}) == (
        'instance.snapshot')
    payload = {'nova_object.data': {'function_name': 'terminate_instance'}}
    assert operations.error_operation('compute.exception', payload) == (
        'instance.delete')
    assert operations.error_operation('scheduler.run_instance', {}) == (
        'scheduler.run_instance')


def test_epoch_microseconds_round_trip():
    moment = datetime.datetime(2015, 1, 22, 20, 44, 52, 363064)
    assert times.from_us(times.to_us(moment)) == moment
    assert times.to_us(moment) - times.to_us(
        moment - datetime.timedelta(seconds=1)) == 1000000
    assert times.iso(times.to_us(moment)) == (
        '2015-01-22T20:44:52.363064Z')


def test_mask_hides_what_varies():
    one = failures.mask('Build of instance '
                        '0026ae8b-b286-4e2f-b442-0d35a565b245'
                          ' on cmp-r01-018.cloud.example.org failed: 3 GB at '
                        '10.0.0.12', 'cmp-r01-018')
    two = failures.mask('Build of instance '
                        '9f8e7d6c-b286-4e2f-b442-0d35a565b245'
                          ' on cmp-r02-007.cloud.example.org failed: 40 GB at '
                        '10.0.3.7', 'cmp-r02-007')
    assert one == two
    assert '<uuid>' in one and '<ip>' in one and '<host>' in one
    assert failures.fingerprint('NoValidHost', one) == failures.fingerprint(
        'NoValidHost', two)
    assert failures.fingerprint('NoValidHost', one) != failures.fingerprint(
        'Timeout', one)


def _row(**values):
    row = {'event_type': 'instance.create.error', 'priority': 'ERROR',
           'message_id': 'm1', 'resource_id': 'r1', 'request_id': 'q1',
           'project_id': 'p1', 'resource_type': 'instance', 'host': 'h1',
           'service': 'nova-compute', 'object_name': None,
           'generated_at': datetime.datetime(2026, 1, 1)}
    row.update(values)
    return row


def test_versioned_and_legacy_failures_share_a_twin_key():
    versioned = failures.error_row(_row(object_name='InstanceActionPayload'), {
        'nova_object.data': {'fault': {'nova_object.data': {
            'exception': 'FlavorDiskTooSmall',
            'exception_message': 'Disk too small: 20 GB',
            'function_name': '_build_resources',
            'module_name': 'nova.compute.manager'}}}})
    legacy = failures.error_row(_row(
        event_type='compute.instance.create.error', message_id='m2',
        generated_at=datetime.datetime(2026, 1, 1, 0, 0, 0, 350)),
        {'message': 'Disk too small: 20 GB', 'code': 500, 'exception': {}})
    assert versioned['exception'] == 'FlavorDiskTooSmall'
    assert legacy['exception'] is None
    assert legacy['message'] == 'Disk too small: 20 GB'
    assert versioned['twin_key'] == legacy['twin_key']
    assert versioned['versioned'] and not legacy['versioned']


def test_failure_without_phase_ends_an_operation():
    row = _row(event_type='snapshot_instance', priority='ERROR')
    assert timings.endpoints_of(row, {}) == [
        ('instance.snapshot', 'error', 0)]
    info = _row(event_type='compute.instance.update', priority='INFO')
    assert timings.endpoints_of(info, {}) == []
    no_valid_host = _row(event_type='compute_task.build_instances.error',
                         object_name='ComputeTaskPayload')
    # The scheduling it ends did not report that end: an inferred one.
    assert timings.endpoints_of(no_valid_host, {}) == [
        ('compute_task.build_instances', 'error', 1),
        ('scheduler.select_destinations', 'error', merge.INFERRED + 1)]


def _fold(events):
    current = None
    for event_type, seconds, message_id, versioned in events:
        row = _row(event_type=event_type, priority='INFO',
                   message_id=message_id,
                   object_name='X' if versioned else None,
                   generated_at=datetime.datetime(2026, 1, 1)
                   + datetime.timedelta(seconds=seconds))
        operation, phase, _format = timings.endpoints_of(row, {})[0]
        if current is None:
            current = timings._empty(('', 'q1', operation), row)
        timings.merge_endpoint(current, row, phase)
    return current


def test_operation_merge_is_order_independent():
    events = [('compute.instance.create.start', 1, 'a', False),
              ('instance.create.start', 1.00035, 'b', True),
              ('compute.instance.create.error', 5, 'c', False),
              ('compute.instance.create.start', 6, 'd', False),
              ('compute.instance.create.end', 9, 'e', False),
              ('instance.create.end', 9.00035, 'f', True)]
    first = _fold(events)
    assert _fold(list(reversed(events))) == first
    assert _fold(events[3:] + events[:3]) == first
    assert first['outcome'] == 'success'
    # Legacy times win over the versioned twins' later ones.
    assert first['end_us'] - first['start_us'] == 8000000


def test_osprofiler_points_become_spans():
    row = _row(event_type='profiler.nova', priority='INFO',
               request_id=None, host=None, service='profiler')
    start = traces.profiler_point(row, {
        'name': 'wsgi-start', 'base_id': 'b1', 'trace_id': 't1',
        'parent_id': 'b1', 'timestamp': '2026-01-01T00:00:01.000001',
        'info': {'host': 'api-1', 'request_id': 'req-9'},
        'service': 'osapi_compute'})
    stop = traces.profiler_point(row, {
        'name': 'wsgi-stop', 'base_id': 'b1', 'trace_id': 't1',
        'parent_id': 'b1', 'timestamp': '2026-01-01T00:00:01.500001',
        'info': {'host': 'api-1'}})
    assert start[0] == stop[0] == 't1'
    span = dict(start[1])
    traces._fold_span(span, stop[1])
    assert span['name'] == 'wsgi'
    assert span['request_id'] == 'req-9'
    assert span['end_us'] - span['start_us'] == 500000
    assert not span['failed']
    assert traces.profiler_point(_row(event_type='profiler.nova'),
                                 {'name': 'x', 'trace_id': 't'}) is None

