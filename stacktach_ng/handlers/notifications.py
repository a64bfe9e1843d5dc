"""The ``notifications`` handler: store each notification once."""

import sqlalchemy as sa
from oslo_db import exception as db_exc

from stacktach_ng.db import bulk
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from stacktach_ng.handlers import base
from stacktach_ng.pipeline import identity

_TABLE = models.Notification.__table__
_IDS = models.NotificationId.__table__


class NotificationsHandler(base.Handler):
    """Insert the normalized records whose message_id is new.

    Records already stored (a redelivery, a replayed file) are dropped from
    the batch, so later handlers never count a notification twice; a
    record whose id is stored with other content is a conflict, stored
    under its conflict id (see ``pipeline.identity``). The
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
                store_rows(connection, rows)
        except db_exc.DBDuplicateEntry:
            pass
        else:
            return records
        new = []
        conflicts = []
        existing = _stored_ids(connection, [row['message_id'] for row in rows])
        stored_keys = _stored_content_keys(connection, existing)
        for record in records:
            row = record.row
            message_id = row['message_id']
            if message_id not in existing:
                new.append(record)
            elif row['conflict_of'] is not None:
                # A conflict id stands for its content: stored already.
                continue
            else:
                key = identity.content_key(row)
                if stored_keys.get(message_id) not in (None, key):
                    identity.mark_conflict(record, key)
                    conflicts.append(record)
        if conflicts:
            # A conflicting message redelivered derives the same id.
            again = _stored_ids(connection, [r.row['message_id']
                                             for r in conflicts])
            new.extend(r for r in conflicts
                       if r.row['message_id'] not in again)
        if new:
            store_rows(connection, [r.row for r in new])
        return new

    def purge(self, connection, before, batch_size):
        """Drop the whole partitions older than ``before`` (PostgreSQL),
        then delete the rest; returns the notifications deleted or
        dropped in this call.

        The deletions go by the message ids: every notification has its
        id, with the same time, so the ids count the notifications of a
        dropped partition without reading it. Notifications still stored
        are deleted in batches of ``batch_size`` with their ids
        (``delete_window``), which keeps each transaction short. The ids
        of a day whose partition was dropped are all that is left of it:
        they go a day in one statement (``delete_dropped_day``), a
        fraction of the time of the same rows in batches (the purge of a
        day then stays under a second, see the purge benchmark).
        """
        if partitions.is_partitioned(connection, _TABLE.name):
            while partitions.drop_oldest(connection, _TABLE.name, before):
                pass
            deleted = delete_dropped_day(connection, before)
            if deleted:
                return deleted
        return delete_window(connection, before, batch_size)


def _stored_ids(connection, message_ids):
    found = set()
    for chunk in chunking.chunks(message_ids):
        found.update(connection.execute(
            sa.select(_IDS.c.message_id).where(
                _IDS.c.message_id.in_(chunk))).scalars())
    return found


def _stored_content_keys(connection, message_ids):
    """``{message_id: content key}`` of the stored notifications."""
    columns = [_TABLE.c[name] for name in identity.COLUMNS]
    keys = {}
    for chunk in chunking.chunks(sorted(message_ids)):
        for row in connection.execute(
                sa.select(_TABLE.c.message_id, *columns).where(
                    _TABLE.c.message_id.in_(chunk))).mappings():
            keys[row['message_id']] = identity.content_key(row)
    return keys


def store_rows(connection, rows):
    """Insert notification rows and their message ids; a message id
    stored already raises ``DBDuplicateEntry``."""
    bulk.insert_rows(connection, _IDS, [
        {'message_id': row['message_id'],
         'generated_at': row['generated_at']} for row in rows])
    bulk.insert_rows(connection, _TABLE, rows)


def delete_window(connection, before, batch_size):
    """Delete the oldest ``batch_size`` or so message ids dated before
    ``before``, and the notifications of the same time range; returns
    how many ids.

    One range of the time indexes per statement: the time below which
    ``batch_size`` ids lie is read first, then everything before it is
    deleted, without sending keys back and forth. Ids of one instant are
    not split: a batch may exceed ``batch_size`` by the ids sharing its
    last instant.
    """
    time = _IDS.c.generated_at
    bound = connection.execute(
        sa.select(time).where(time < before).order_by(time)
        .offset(batch_size).limit(1)).scalar()
    if bound is None:
        ids = time < before
        rows = _TABLE.c.generated_at < before
    elif bound == connection.execute(sa.select(sa.func.min(time))).scalar():
        ids = time <= bound
        rows = _TABLE.c.generated_at <= bound
    else:
        ids = time < bound
        rows = _TABLE.c.generated_at < bound
    connection.execute(_TABLE.delete().where(rows))
    return connection.execute(_IDS.delete().where(ids)).rowcount


def delete_dropped_day(connection, before):
    """Delete the message ids of the oldest day (UTC) before ``before``
    when none of that day's notifications is left (its partition was
    dropped); returns how many ids (0: the day still has notifications,
    or there is none).
    """
    time = _IDS.c.generated_at
    oldest = connection.execute(
        sa.select(sa.func.min(time)).where(time < before)).scalar()
    if oldest is None:
        return 0
    bound = min(partitions.start_of_day(oldest) + partitions.DAY, before)
    if connection.execute(sa.select(_TABLE.c.id).where(
            _TABLE.c.generated_at < bound).limit(1)).first() is not None:
        return 0
    return connection.execute(_IDS.delete().where(time < bound)).rowcount
