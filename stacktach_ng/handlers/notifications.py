"""The ``notifications`` handler: store each notification once."""

import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.db import bulk
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.handlers import base

_TABLE = models.Notification.__table__


class NotificationsHandler(base.Handler):
    """Insert the normalized records whose message_id is new.

    Records already stored (a redelivery, a replayed file) are dropped from
    the batch, so later handlers never count a notification twice. The
    pipeline removes duplicates within a batch before it gets here. Two
    concurrent batches carrying the same new message_id make one of them
    fail on the unique constraint; the pipeline then retries that batch,
    which now sees the id as stored.
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
                bulk.insert_rows(connection, _TABLE, rows)
        except db_exc.DBDuplicateEntry:
            pass
        else:
            return records
        existing = set()
        ids = [row['message_id'] for row in rows]
        for chunk in chunking.chunks(ids):
            existing.update(connection.execute(
                sa.select(_TABLE.c.message_id).where(
                    _TABLE.c.message_id.in_(chunk))).scalars())
        new = [record for record in records
               if record.row['message_id'] not in existing]
        if new:
            bulk.insert_rows(connection, _TABLE, [r.row for r in new])
        return new

    def purge(self, connection, before, batch_size):
        ids = connection.execute(
            sa.select(_TABLE.c.id).where(_TABLE.c.generated_at < before)
            .order_by(_TABLE.c.id).limit(batch_size)).scalars().all()
        if not ids:
            return 0
        connection.execute(_TABLE.delete().where(_TABLE.c.id.in_(ids)))
        return len(ids)
