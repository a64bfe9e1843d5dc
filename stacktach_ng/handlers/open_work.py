"""The ``open_work`` handler: what is open now, for the stuck list (see
``stacktach_ng.analyses.open_work``). It reads the ``resources`` and
``operations`` rows the ``lifecycle`` and ``timings`` handlers wrote in
the same transaction, so it comes after both in ``[listener]
handlers``."""

from stacktach_ng.analyses import open_work
from stacktach_ng.analyses import times
from stacktach_ng.handlers import base


class OpenWorkHandler(base.AnalysisHandler):
    """Recompute the open items of what the batch touched."""

    tables = (open_work.OPEN_WORK,)

    def process(self, connection, records):
        open_work.update(connection, records)
        return records

    def purge(self, connection, before, batch_size):
        # Runs before the lifecycle and timings purges (derived data
        # first): rows are recomputed without what they will delete.
        return open_work.purge(connection, times.to_us(before), batch_size)
