"""The ``notifications`` handler: store each notification once."""

import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.db import bulk
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from stacktach_ng.handlers import base

_TABLE = models.Notification.__table__
_IDS = models.NotificationId.__table__


class NotificationsHandler(base.Handler):
    """Insert the normalized records whose message_id is new.

    Records already stored (a redelivery, a replayed file) are dropped from
    the batch, so later handlers never count a notification twice. The
    pipeline removes duplicates within a batch before it gets here. The
    unique key is ``notification_ids``' (see its model for why not the
    notifications' own). Two concurrent batches carrying the same new
    message_id make one of them fail on it; the pipeline then retries that
    batch, which now sees the id as stored.
    """

    def process(self, connection, records):
        if not records:
            return []
        rows = [record.row for record in records]
        # Almost every batch is new messages only: insert it at once,
        # under a savepoint. Only when a message id is stored already does
        # the savepoint roll back and the batch take the careful path,
        # which looks up the stored ids first.
        try:
            with connection.begin_nested():
                _insert(connection, rows)
        except db_exc.DBDuplicateEntry:
            pass
        else:
            return records
        existing = set()
        ids = [row['message_id'] for row in rows]
        for chunk in chunking.chunks(ids):
            existing.update(connection.execute(
                sa.select(_IDS.c.message_id).where(
                    _IDS.c.message_id.in_(chunk))).scalars())
        new = [record for record in records
               if record.row['message_id'] not in existing]
        if new:
            _insert(connection, [r.row for r in new])
        return new

    def purge(self, connection, before, batch_size):
        """Drop the whole partitions older than ``before`` (PostgreSQL),
        one with rows a call; then delete the rest in batches, the
        notifications first and their ids after them."""
        if partitions.is_partitioned(connection, _TABLE.name):
            while True:
                dropped = partitions.drop_oldest(connection, _TABLE.name,
                                                 before)
                if dropped is None:
                    break
                if dropped:
                    return dropped
        deleted = delete_batch(connection, _TABLE, _TABLE.c.generated_at,
                               before, batch_size)
        if deleted:
            return deleted
        return delete_batch(connection, _IDS, _IDS.c.generated_at, before,
                            batch_size)


def _insert(connection, rows):
    bulk.insert_rows(connection, _IDS, [
        {'message_id': row['message_id'],
         'generated_at': row['generated_at']} for row in rows])
    bulk.insert_rows(connection, _TABLE, rows)


def delete_batch(connection, table, time_column, before, batch_size):
    """Delete about ``batch_size`` of the rows of ``table`` whose
    ``time_column`` is before ``before``, oldest first; returns how many.

    One range of the time index per statement: the time below which
    ``batch_size`` rows lie is read first, then the rows before it are
    deleted, without sending their keys back and forth. Rows of one
    instant are not split: a batch may exceed ``batch_size`` by the rows
    sharing its last instant.
    """
    bound = connection.execute(
        sa.select(time_column).where(time_column < before)
        .order_by(time_column).offset(batch_size).limit(1)).scalar()
    if bound is None:
        condition = time_column < before
    else:
        oldest = connection.execute(
            sa.select(sa.func.min(time_column))).scalar()
        condition = (time_column <= bound if bound == oldest
                     else time_column < bound)
    return connection.execute(table.delete().where(condition)).rowcount
