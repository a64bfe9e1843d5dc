"""Requests and OSProfiler spans: the ``requests`` and ``profiler_spans``
rows.

The spans of a trace are built at query time from the operations and the
notifications of its requests (see ``stacktach_ng.queries.traces``). These
rows keep what listing and summarizing requests needs, one
``requests`` row per request id: first and last notification, last end,
whether anything failed, and the operation it performed (the earliest
started operation of the request's resource, with resize / live migration /
rebuild steps named after their family). OSProfiler trace points
(``profiler.*``, ``<name>-start`` / ``<name>-stop``) become one
``profiler_spans`` row per trace id.

All merges are commutative (MIN, MAX, OR, the value at the earliest
time); only ``notifications`` is a sum, of notifications that the
``notifications`` handler passes on once each.
"""

import sqlalchemy as sa

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.common import timestamps
from stacktach_ng.db import models
from stacktach_ng.db import upsert

# None-aware minimum for folding a batch before its upsert.
_least = merge.least_known

REQUESTS = models.analyses.Request.__table__
SPANS = models.analyses.ProfilerSpan.__table__

# Steps of a boot or a move that run under the request of the instance
# operation and must not name the request.
_HELPER_PREFIXES = ('scheduler.', 'compute_task.', 'conductor.')

_PROFILER_PREFIX = 'profiler.'


def request_operation(operation):
    """The name a request gets from one of its started operations, or
    None when that operation is a helper step."""
    if operation.startswith(_HELPER_PREFIXES):
        return None
    return operations.family_of(operation)


_END_ORDER = (('end_format', True), ('end_us', False))


def _merge_requests(stored, incoming):
    first_wins = merge.older(stored.first_us, stored.first_message_id,
                                incoming.first_us, incoming.first_message_id)
    operation_wins = merge.older(stored.operation_us, stored.operation,
                                    incoming.operation_us, incoming.operation)
    return [
        ('service', sa.case((first_wins, incoming.service),
                            else_=stored.service)),
        ('host', sa.case((first_wins, incoming.host), else_=stored.host)),
        ('first_event_type', sa.case((first_wins, incoming.first_event_type),
                                     else_=stored.first_event_type)),
        ('operation', sa.case((operation_wins, incoming.operation),
                              else_=stored.operation)),
        # Compared above, so assigned after (MySQL assigns in order).
        ('first_message_id', sa.case((first_wins, incoming.first_message_id),
                                     else_=stored.first_message_id)),
        ('first_us', merge.least(stored.first_us, incoming.first_us)),
        ('operation_us', merge.least(stored.operation_us,
                                        incoming.operation_us)),
        ('last_us', merge.greatest(stored.last_us, incoming.last_us)),
    ] + merge.assign_compared(
        stored, incoming, merge.prefer(stored, incoming, _END_ORDER),
        _END_ORDER) + [
        ('failed', sa.or_(stored.failed, incoming.failed)),
        ('notifications', stored.notifications + incoming.notifications),
        ('global_request_id', merge.least(stored.global_request_id,
                                             incoming.global_request_id)),
        ('project_id', merge.least(stored.project_id,
                                      incoming.project_id)),
    ]


def _merge_spans(stored, incoming):
    return [
        ('start_us', merge.least(stored.start_us, incoming.start_us)),
        ('end_us', merge.greatest(stored.end_us, incoming.end_us)),
        ('failed', sa.or_(stored.failed, incoming.failed)),
    ] + [(name, merge.least(stored[name], incoming[name]))
         for name in ('base_id', 'parent_id', 'name', 'service', 'host',
                      'project_id', 'request_id')]


def _fold_request(current, row, at):
    message_id = row['message_id']
    if (at, message_id) < (current['first_us'], current['first_message_id']):
        current.update(first_us=at, first_message_id=message_id,
                       service=row['service'], host=row['host'],
                       first_event_type=row['event_type'])
    current['last_us'] = max(current['last_us'], at)
    current['notifications'] += 1
    current['global_request_id'] = _least(current['global_request_id'],
                                          row['global_request_id'])
    current['project_id'] = _least(current['project_id'], row['project_id'])


def _new_request(row, at):
    return {
        'request_id': row['request_id'],
        'global_request_id': row['global_request_id'],
        'project_id': row['project_id'],
        'first_us': at, 'first_message_id': row['message_id'],
        'last_us': at, 'end_us': None, 'end_format': None,
        'service': row['service'], 'host': row['host'],
        'first_event_type': row['event_type'],
        'operation': None, 'operation_us': None,
        'failed': False, 'notifications': 0,
    }


def profiler_point(row, payload):
    """(trace id, span dict) of an OSProfiler notification, or None."""
    if not row['event_type'].startswith(_PROFILER_PREFIX):
        return None
    trace_id = payload.get('trace_id')
    name = payload.get('name')
    if not trace_id or not isinstance(name, str):
        return None
    if name.endswith('-start'):
        is_start = True
        name = name[:-len('-start')]
    elif name.endswith('-stop'):
        is_start = False
        name = name[:-len('-stop')]
    else:
        return None
    at = timestamps.parse(payload.get('timestamp')) or row['generated_at']
    at = times.to_us(at)
    info = payload.get('info')
    info = info if isinstance(info, dict) else {}
    request = info.get('request')
    request_id = (row['request_id'] or info.get('request_id')
                  or (request.get('request_id')
                      if isinstance(request, dict) else None))
    return str(trace_id)[:255], {
        'trace_id': str(trace_id)[:255],
        'base_id': _text(payload.get('base_id'), 255),
        'parent_id': _text(payload.get('parent_id'), 255),
        'name': name[:255],
        'service': _text(payload.get('service') or row['service'], 64),
        'host': _text(info.get('host') or row['host'], 255),
        'project_id': _text(payload.get('project') or row['project_id'], 64),
        'request_id': _text(request_id, 255),
        'start_us': at if is_start else None,
        'end_us': None if is_start else at,
        'failed': bool(not is_start and (info.get('etype')
                                         or info.get('error'))),
    }


def _text(value, limit):
    if value is None or value == '':
        return None
    return str(value)[:limit]


def _fold_span(current, span):
    for name in ('base_id', 'parent_id', 'name', 'service', 'host',
                 'project_id', 'request_id'):
        current[name] = _least(current[name], span[name])
    current['start_us'] = _least(current['start_us'], span['start_us'])
    if span['end_us'] is not None:
        current['end_us'] = max(current['end_us'] or span['end_us'],
                                span['end_us'])
    current['failed'] = current['failed'] or span['failed']


def request_and_span_rows(records):
    """The batch's ``requests`` rows (one per request id) and
    ``profiler_spans`` rows (one per trace id): ``(requests, spans)``."""
    requests = {}
    spans = {}
    for record in records:
        row = record.row
        point = profiler_point(row, record.payload)
        if point is not None:
            trace_id, span = point
            if trace_id in spans:
                _fold_span(spans[trace_id], span)
            else:
                spans[trace_id] = span
        request_id = row['request_id']
        if request_id is None:
            continue
        at = times.to_us(row['generated_at'])
        current = requests.get(request_id)
        if current is None:
            current = requests[request_id] = _new_request(row, at)
        _fold_request(current, row, at)
        operation, phase = operations.operation_of(row['event_type'])
        if operations.is_error(row):
            current['failed'] = True
            if phase is None:
                # A failure named after the function that failed ends the
                # request like an ``.error`` does.
                operation = operations.error_operation(row['event_type'],
                                                       record.payload)
                phase = operations.ERROR
        if phase is None:
            continue
        if phase == operations.START:
            name = request_operation(operation[:128])
        else:
            # The latest end, legacy preferred (see format_of).
            format_ = merge.format_of(row)
            if current['end_us'] is None or (
                    (format_, -at) < (current['end_format'],
                                      -current['end_us'])):
                current['end_us'] = at
                current['end_format'] = format_
            name = (operations.conductor_task_operation(operation)
                    if phase == operations.ERROR else None)
        if name is not None and (
                current['operation_us'] is None
                or (at, name) < (current['operation_us'],
                                 current['operation'])):
            current['operation_us'] = at
            current['operation'] = name
    return list(requests.values()), list(spans.values())


def write_requests(connection, requests, spans):
    """Merge the rows into the stored requests and spans."""
    upsert.upsert(connection, REQUESTS, requests, ('request_id',),
                  _merge_requests)
    upsert.upsert(connection, SPANS, spans, ('trace_id',), _merge_spans)
