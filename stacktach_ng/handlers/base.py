"""The interface of ingestion handlers (namespace ``stacktach_ng.handlers``).

A handler is created once per process with the configuration, then called
once per batch, inside the batch's database transaction::

    class MyHandler(base.Handler):
        def process(self, connection, records):
            connection.execute(sa.insert(my_table), [...])
            return records

Rules every handler follows:

* **Batch in, bulk out**: one or a few bulk statements per batch, never a
  statement per record.
* **Idempotent**: the listener can redeliver a batch after a crash or a
  requeue. The ``notifications`` handler runs first and passes on only the
  records it stored for the first time, so later handlers see every
  notification once; derived rows should still be keyed so that a replay
  (``stacktach-ng-manage rebuild``) writes the same rows.
* **Independent of arrival order**: batches are committed concurrently and
  producers' clocks differ; derive from the generated times, not from the
  order of records or batches.
* **Fail loudly**: an exception rolls the whole batch back and it is
  requeued. Handle bad data of a single record inside the handler.

``process()`` returns the records the next handler should see (usually the
ones it was given), or None for "unchanged".
"""

import abc

import sqlalchemy as sa

from stacktach_ng.analyses import times


class Handler(metaclass=abc.ABCMeta):
    #: The entry point name; set by the pipeline when loading.
    name = None

    def __init__(self, conf):
        self.conf = conf

    #: True for a handler that must read the stored rows as they were
    #: before any handler of the batch wrote (see ``before``).
    reads_before = False

    @abc.abstractmethod
    def process(self, connection, records):
        """Handle a batch of ``normalize.Record`` in ``connection``'s
        transaction; return the records for the next handler. A handler
        with ``reads_before`` gets what its ``before`` returned as a third
        argument."""

    def before(self, connection, records):
        """Read what the batch is about to change, in its transaction and
        before the first handler runs, with every record of the batch
        (those already stored too); the result is passed to ``process``.
        Called only when ``reads_before`` is true."""
        return None

    def catch_up(self, database):
        """Do now what the handler leaves to a background pass (the
        roll-ups), after a bulk load (``import``, ``rebuild``) that no
        listener may follow. Handlers that defer nothing keep the
        default."""
        return None

    def purge(self, connection, before, batch_size):
        """Delete derived rows older than ``before`` (naive UTC), at most
        ``batch_size`` rows a call; return how many were deleted.

        Handlers without derived data keep the default.
        """
        return 0


class AnalysisHandler(Handler):
    """A handler whose derived tables can be emptied and rebuilt.

    ``tables`` lists the tables it owns; ``purge_column`` names the
    epoch-microsecond column by which its rows age (see ``purge``).
    """

    tables = ()
    purge_column = None

    def reset(self, connection):
        """Delete every derived row (before ``rebuild`` replays)."""
        for table in self.tables:
            connection.execute(table.delete())

    def purge(self, connection, before, batch_size):
        if self.purge_column is None:
            return 0
        table = self.tables[0]
        column = table.c[self.purge_column]
        pk = list(table.primary_key.columns)[0]
        ids = connection.execute(
            sa.select(pk).where(column < times.to_us(before))
            .order_by(pk).limit(batch_size)).scalars().all()
        if not ids:
            return 0
        connection.execute(table.delete().where(pk.in_(ids)))
        return len(ids)
