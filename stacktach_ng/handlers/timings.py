"""The ``timings`` handler: operations from their start and end events
(see ``stacktach_ng.analyses.timings``)."""

import sqlalchemy as sa

from stacktach_ng.analyses import times
from stacktach_ng.analyses import timings
from stacktach_ng.handlers import base


class TimingsHandler(base.AnalysisHandler):
    """Upsert the operations started or ended in the batch."""

    tables = (timings.OPERATIONS,)
    purge_column = 'start_us'

    def process(self, connection, records):
        timings.write_operations(connection,
                                 timings.operation_rows(records))
        return records

    def purge(self, connection, before, batch_size):
        # Operations with no start age by their end.
        table = timings.OPERATIONS
        cutoff = times.to_us(before)
        ids = connection.execute(
            sa.select(table.c.id).where(sa.func.coalesce(
                table.c.start_us, table.c.end_us) < cutoff)
            .order_by(table.c.id).limit(batch_size)).scalars().all()
        if not ids:
            return 0
        connection.execute(table.delete().where(table.c.id.in_(ids)))
        return len(ids)
