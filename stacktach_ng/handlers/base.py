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


class Handler(metaclass=abc.ABCMeta):
    #: The entry point name; set by the pipeline when loading.
    name = None

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def process(self, connection, records):
        """Handle a batch of ``normalize.Record`` in ``connection``'s
        transaction; return the records for the next handler."""

    def purge(self, connection, before, batch_size):
        """Delete derived rows older than ``before`` (naive UTC), at most
        ``batch_size`` rows a call; return how many were deleted.

        Handlers without derived data keep the default.
        """
        return 0
