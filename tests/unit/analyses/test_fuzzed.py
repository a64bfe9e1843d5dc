"""Inputs the fuzzer (``tests.fuzzing``) found crashing a handler."""

import datetime

import pytest

from stacktach_ng.analyses import failures
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import task_summary
from stacktach_ng.analyses import timings
from stacktach_ng.analyses import traces
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.usage import extract
from tests.unit.pipeline import fixtures as fx

RECEIVED = datetime.datetime(2026, 1, 2, 3, 5, 0)


def _record(message, form='wire_v1'):
    return normalize.normalize(forms.to_envelope(fx.as_form(message, form)),
                               RECEIVED)


@pytest.mark.parametrize('function_name', [
    {'nova_object.data': 'terminate_instance'}, ['terminate_instance'], 7,
    True])
def test_compute_exception_with_a_function_name_that_is_no_text(
        function_name):
    """Found: compute.exception whose function_name is a dict or a list
    raised TypeError (unhashable) in the timings and errors handlers,
    failing the whole batch."""
    payload = {'nova_object.data': {'function_name': function_name,
                                    'request_id': 'req-1', 'exception': 'X',
                                    'exception_message': 'boom'}}
    assert operations.error_operation('compute.exception', payload) == (
        'compute.exception')
    message = fx.nova_versioned_action('compute.exception')
    message['priority'] = 'ERROR'
    message['payload'] = {'nova_object.name': 'ExceptionPayload',
                          'nova_object.version': '1.1', **payload}
    record = _record(message)
    assert timings.endpoints_of(record.row, record.payload) == [
        ('compute.exception', 'error', 1)]
    assert failures.error_row(record.row, record.payload)['operation'] == (
        'compute.exception')


def test_errors_fingerprint_of_a_message_with_lone_surrogates():
    """Found: a failure message with a lone surrogate made the errors
    handler's fingerprint raise UnicodeEncodeError."""
    message = fx.nova_legacy_create_end()
    message['event_type'] = 'compute.instance.create.error'
    message['payload']['message'] = 'No valid host \ud800 for \udfff'
    message['payload']['exception'] = 'NoValidHost\ud83d'
    record = _record(message, 'listener')
    row = failures.error_row(record.row, record.payload)
    assert row['message'] == 'No valid host ? for ?'
    assert row['exception'] == 'NoValidHost?'
    assert len(row['fingerprint']) == 16


def test_profiler_span_fields_are_storable():
    """Found: a NUL in a profiler point's name or ids reached the
    profiler_spans row (PostgreSQL refuses it: the batch failed)."""
    message = fx.unknown_service()
    message['event_type'] = 'profiler.nova'
    message['payload'] = {'trace_id': 't\x00-1', 'parent_id': 'p\x00',
                          'base_id': 'b\ud800', 'name': 'wsgi\x00-start',
                          'info': {'host': 'h\x00'}}
    record = _record(message)
    trace_id, span = traces.profiler_point(record.row, record.payload)
    assert trace_id == 't-1'
    assert span['name'] == 'wsgi'
    assert (span['parent_id'], span['base_id'], span['host']) == (
        'p', 'b?', 'h')


_INSTANCE = fx.INSTANCE


def _usage_record(event_type, **payload):
    message = fx.nova_legacy_create_end()
    message['event_type'] = event_type
    message['payload'].update(payload)
    return _record(message)


@pytest.mark.parametrize('value', [2 ** 31, 2 ** 64 + 1, -(2 ** 70),
                                   10 ** 40, 1e300, '1e308'])
def test_flavor_sizes_the_columns_cannot_hold_are_unknown(value):
    """Found: a flavor size beyond the INTEGER columns (2**70 vcpus) made
    the usage handler's insert fail the batch (SQLite OverflowError,
    PostgreSQL and MySQL "out of range")."""
    record = _usage_record('compute.instance.create.end', vcpus=value,
                           memory_mb=value, root_gb=value,
                           ephemeral_gb=value)
    row = extract.launch_row(record, 'create')
    assert row['instance_id'] == _INSTANCE
    assert (row['vcpus'], row['memory_mb'], row['root_gb'],
            row['ephemeral_gb']) == (None, None, None, None)


def test_flavor_sizes_within_the_columns_are_kept():
    record = _usage_record('compute.instance.create.end', vcpus=2 ** 31 - 1,
                           memory_mb='2048', root_gb=-1, ephemeral_gb=0.5)
    row = extract.launch_row(record, 'create')
    assert (row['vcpus'], row['memory_mb'], row['root_gb'],
            row['ephemeral_gb']) == (2 ** 31 - 1, 2048, -1, 0)


@pytest.mark.parametrize('event_type, size, expected', [
    ('image.upload', 2 ** 63 - 1, 2 ** 63 - 1),
    ('image.upload', 2 ** 63, None),
    ('image.upload', 2 ** 64 + 1, None),
    ('volume.create.end', 8, 8 * extract.GIB),
    ('volume.create.end', 2 ** 33, None),
    ('volume.create.end', 2 ** 70, None),
])
def test_storage_sizes_the_bigint_column_cannot_hold_are_unknown(
        event_type, size, expected):
    """Found: an image or volume size beyond BIGINT (in bytes) failed the
    batch."""
    message = (fx.glance_image_upload() if event_type == 'image.upload'
               else fx.cinder_volume_create())
    message['event_type'] = event_type
    message['payload']['size'] = size
    row = extract.storage_row(_record(message))
    assert row['size_bytes'] == expected


class _Result(list):
    def scalars(self):
        return self


class _Connection:
    """Answers the summaries' locking read with the rows given, as MySQL
    does: ``WHERE resource_id IN ('nan')`` returns the stored 'NaN'."""

    class dialect:
        name = 'mysql'

    def __init__(self, rows):
        self.rows = rows
        self.updates = []

    def execute(self, statement, params=None):
        if statement.is_dml:
            self.updates.extend(params)
            return _Result()
        return _Result(self.rows)


def test_lifecycle_summary_of_an_id_the_database_matched_without_case(
        monkeypatch):
    """Found on MySQL: a resource id differing from a stored one only by
    case ('nan' and 'NaN', keypairs 'Default' and 'default') failed the
    whole batch with a KeyError: the stored row answered the locking read
    under its own spelling. Its summary is recomputed from the stored
    notifications instead, as the database sees them."""
    stored = dict.fromkeys(('task_source', 'task_us', 'task_message_id',
                            'task_value', 'task_break_us',
                            'task_break_message_id', 'task_since_us',
                            'task_since_message_id'))
    row = type('Row', (), dict(stored, resource_id='NaN'))()
    recomputed = task_summary.TaskSummary(1, (5, 'm-2'), 'spawning', None,
                                       (5, 'm-2'))
    asked = []
    monkeypatch.setattr(task_summary, 'recompute_summary',
                        lambda connection, resource_id: asked.append(
                            resource_id) or recomputed)
    connection = _Connection([row])
    batch = task_summary.TaskSummary(1, (5, 'm-2'), 'spawning', None,
                                  (5, 'm-2'))
    task_summary.merge_task_summaries(connection, {'nan': batch})
    assert asked == ['NaN']
    assert len(connection.updates) == 1
    assert connection.updates[0]['key'] == 'NaN'
    assert connection.updates[0]['task_value'] == 'spawning'
