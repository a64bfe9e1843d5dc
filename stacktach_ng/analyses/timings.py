"""Operations from their start and end events: the ``operations`` rows.

``X.start`` and ``X.end`` / ``X.error`` of the same resource and request
make one ``operations`` row keyed by (resource, request, operation). The
row keeps the earliest start and the latest end with that end's outcome,
merged by commutative upserts, so it does not matter which batch commits
first, and nova's legacy and versioned twins of an event (same operation
name after ``operations.operation_of``, same times) collapse into one row.

A failure reported without a phase (nova's legacy ``wrap_exception``
notifications named after the failing function, ``compute.exception``)
ends the operation it names with outcome ``error``.
"""

import sqlalchemy as sa

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.db import upsert

# None-aware minimum for folding a batch before its upsert.
_least = merge.least_known

OPERATIONS = models.analyses.Operation.__table__

SUCCESS = 'success'
ERROR = 'error'


# Failures that also end another operation of their request: nova's
# conductor reports "no valid host" for the scheduling that failed. The
# scheduler sends no end then, and no start either when placement had no
# candidate at all: the inferred end closes a scheduling that started, and
# an operation with nothing but an inferred end is not shown (see
# ``queries.timings.REPORTED``).
_ALSO_ENDS = {
    'compute_task.build_instances': ('scheduler.select_destinations',),
}


def endpoints_of(row, payload):
    """[(operation, phase, format)] of a notification that starts or ends
    operations (phase start/end/error), else []. ``format`` is the
    notification's (``merge.format_of``), or ``merge.INFERRED`` plus that
    for an operation it ends without reporting it."""
    operation, phase = operations.operation_of(row['event_type'])
    if phase is None:
        if not operations.is_error(row) or (row['resource_id'] is None
                                          and row['request_id'] is None):
            return []
        operation = operations.error_operation(row['event_type'], payload)
        phase = ERROR
    found = [(operation[:128], phase, merge.format_of(row))]
    if phase == ERROR:
        # Legacy first among inferred ends too, as among reported ones.
        inferred = merge.INFERRED + merge.format_of(row)
        found.extend((other, ERROR, inferred)
                     for other in _ALSO_ENDS.get(operation, ()))
    return found


def scope_of(row):
    """The ``scope_id`` of an operation's key (see the model)."""
    if row['request_id'] is None:
        return merge.key_text(row['resource_id'])
    return ''


# (column, smaller is better), most significant first: a legacy endpoint
# wins over a versioned one whatever their times (see format_of), then
# the earliest start and the latest end.
_START_ORDER = (('start_format', True), ('start_us', True),
                ('start_message_id', True))
_END_ORDER = (('end_format', True), ('end_us', False),
              ('end_message_id', False))


def _merge(stored, incoming):
    start_wins = merge.prefer(stored, incoming, _START_ORDER)
    end_wins = merge.prefer(stored, incoming, _END_ORDER)
    return [
        ('host', sa.case((start_wins, incoming.host), else_=stored.host)),
        ('service', sa.case((start_wins, incoming.service),
                            else_=stored.service)),
        ('end_host', sa.case((end_wins, incoming.end_host),
                             else_=stored.end_host)),
        ('outcome', sa.case((end_wins, incoming.outcome),
                            else_=stored.outcome)),
        ('resource_id', merge.least(stored.resource_id,
                                       incoming.resource_id)),
    ] + merge.assign_compared(
        stored, incoming, start_wins, _START_ORDER
    ) + merge.assign_compared(
        stored, incoming, end_wins, _END_ORDER
    ) + [
        ('resource_type', merge.least(stored.resource_type,
                                         incoming.resource_type)),
        ('project_id', merge.least(stored.project_id,
                                      incoming.project_id)),
    ]


def _empty(key, row):
    return {
        'scope_id': key[0], 'request_id': key[1], 'operation': key[2],
        'resource_id': row['resource_id'],
        'resource_type': row['resource_type'],
        'project_id': row['project_id'],
        'service': None, 'host': None, 'end_host': None,
        'start_us': None, 'end_us': None, 'outcome': None,
        'start_format': None, 'end_format': None,
        'start_message_id': None, 'end_message_id': None,
    }


def merge_endpoint(current, row, phase, format_=None):
    """Fold one start/end notification into an operation dict, with the
    same rules as the SQL merge; ``format_`` defaults to the row's."""
    at = times.to_us(row['generated_at'])
    message_id = row['message_id']
    if format_ is None:
        format_ = merge.format_of(row)
    current['project_id'] = _least(current['project_id'], row['project_id'])
    current['resource_id'] = _least(current['resource_id'],
                                    row['resource_id'])
    current['resource_type'] = _least(current['resource_type'],
                                      row['resource_type'])
    if phase == operations.START:
        if merge.better_start(
                format_, at, message_id,
                None if current['start_us'] is None else (
                    current['start_format'], current['start_us'],
                    current['start_message_id'])):
            current.update(start_us=at, start_message_id=message_id,
                           start_format=format_,
                           host=row['host'], service=row['service'])
    elif merge.better_end(
            format_, at, message_id,
            None if current['end_us'] is None else (
                current['end_format'], current['end_us'],
                current['end_message_id'])):
        current.update(end_us=at, end_message_id=message_id,
                       end_format=format_, end_host=row['host'],
                       outcome=SUCCESS if phase == operations.END else ERROR)


_KEY = ('scope_id', 'request_id', 'operation')


def operation_rows(records):
    """The batch's ``operations`` rows, one per key."""
    merged = {}
    for record in records:
        row = record.row
        for operation, phase, format_ in endpoints_of(row, record.payload):
            key = (scope_of(row), merge.key_text(row['request_id']),
                   operation)
            current = merged.get(key)
            if current is None:
                current = merged[key] = _empty(key, row)
            merge_endpoint(current, row, phase, format_)
    return list(merged.values())


def write_operations(connection, rows):
    """Merge the rows into the stored operations."""
    upsert.upsert(connection, OPERATIONS, rows, _KEY, _merge)
