"""The ``timings`` handler: operations from their start and end events.

``X.start`` and ``X.end`` / ``X.error`` of the same resource and request
make one ``operations`` row keyed by (resource, request, operation). The
row keeps the earliest start and the latest end with that end's outcome,
merged by commutative upserts, so it does not matter which batch commits
first, and nova's legacy and versioned twins of an event (same operation
name after ``analysis.operation_of``, same times) collapse into one row.

A failure reported without a phase (nova's legacy ``wrap_exception``
notifications named after the failing function, ``compute.exception``)
ends the operation it names with outcome ``error``.
"""

import sqlalchemy as sa

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis

_TABLE = models.analyses.Operation.__table__

SUCCESS = 'success'
ERROR = 'error'


def endpoint_of(row, payload):
    """(operation, phase) of a notification that starts or ends an
    operation, else None."""
    operation, phase = analysis.operation_of(row['event_type'])
    if phase is None:
        if row['resource_id'] is None or not analysis.is_error(row):
            return None
        return analysis.error_operation(row['event_type'], payload), ERROR
    return operation[:128], phase


def _merge(stored, incoming):
    start_wins = analysis.older(stored.start_us, stored.start_message_id,
                                incoming.start_us, incoming.start_message_id)
    end_wins = analysis.newer(stored.end_us, stored.end_message_id,
                              incoming.end_us, incoming.end_message_id)
    return [
        ('host', sa.case((start_wins, incoming.host), else_=stored.host)),
        ('service', sa.case((start_wins, incoming.service),
                            else_=stored.service)),
        ('end_host', sa.case((end_wins, incoming.end_host),
                             else_=stored.end_host)),
        ('outcome', sa.case((end_wins, incoming.outcome),
                            else_=stored.outcome)),
        # The columns compared above come last (MySQL assigns in order).
        ('start_message_id', sa.case((start_wins, incoming.start_message_id),
                                     else_=stored.start_message_id)),
        ('end_message_id', sa.case((end_wins, incoming.end_message_id),
                                   else_=stored.end_message_id)),
        ('start_us', analysis.least(stored.start_us, incoming.start_us)),
        ('end_us', analysis.greatest(stored.end_us, incoming.end_us)),
        ('resource_type', analysis.least(stored.resource_type,
                                         incoming.resource_type)),
        ('project_id', analysis.least(stored.project_id,
                                      incoming.project_id)),
    ]


def _empty(key, row):
    return {
        'resource_id': key[0], 'request_id': key[1], 'operation': key[2],
        'resource_type': row['resource_type'],
        'project_id': row['project_id'],
        'service': None, 'host': None, 'end_host': None,
        'start_us': None, 'end_us': None, 'outcome': None,
        'start_message_id': None, 'end_message_id': None,
    }


def _least(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def merge_endpoint(current, row, phase):
    """Fold one start/end notification into an operation dict, with the
    same rules as the SQL merge."""
    at = analysis.to_us(row['generated_at'])
    message_id = row['message_id']
    current['project_id'] = _least(current['project_id'], row['project_id'])
    current['resource_type'] = _least(current['resource_type'],
                                      row['resource_type'])
    if phase == analysis.START:
        if (current['start_us'] is None
                or (at, message_id) < (current['start_us'],
                                       current['start_message_id'])):
            current.update(start_us=at, start_message_id=message_id,
                           host=row['host'], service=row['service'])
    elif (current['end_us'] is None
          or (at, message_id) > (current['end_us'],
                                 current['end_message_id'])):
        current.update(end_us=at, end_message_id=message_id,
                       end_host=row['host'],
                       outcome=SUCCESS if phase == analysis.END else ERROR)


class TimingsHandler(analysis.AnalysisHandler):
    """Upsert the operations started or ended in the batch."""

    tables = (_TABLE,)
    purge_column = 'start_us'

    def process(self, connection, records):
        merged = {}
        for record in records:
            row = record.row
            found = endpoint_of(row, record.payload)
            if found is None:
                continue
            operation, phase = found
            key = (analysis.key_text(row['resource_id']),
                   analysis.key_text(row['request_id']), operation)
            current = merged.get(key)
            if current is None:
                current = merged[key] = _empty(key, row)
            merge_endpoint(current, row, phase)
        analysis.upsert(connection, _TABLE, list(merged.values()),
                        ('resource_id', 'request_id', 'operation'), _merge)
        return records

    def purge(self, connection, before, batch_size):
        # Operations with no start age by their end.
        table = _TABLE
        cutoff = analysis.to_us(before)
        ids = connection.execute(
            sa.select(table.c.id).where(sa.func.coalesce(
                table.c.start_us, table.c.end_us) < cutoff)
            .order_by(table.c.id).limit(batch_size)).scalars().all()
        if not ids:
            return 0
        connection.execute(table.delete().where(table.c.id.in_(ids)))
        return len(ids)
