"""The ``rollups`` handler: hourly roll-ups of the operations (see
``stacktach_ng.analyses.rollups``). It reads the ``operations`` rows the
``timings`` handler wrote in the same transaction, so it comes after it
in ``[listener] handlers``."""

import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.handlers import base


class RollupsHandler(base.AnalysisHandler):
    """Recompute the hours of the operations the batch changed."""

    tables = (rollups.HOURS, rollups.MEMBERS)

    def process(self, connection, records):
        rollups.update(connection, records)
        return records

    def purge(self, connection, before, batch_size):
        # A separate step from the operations' purge: whole hours that
        # started before the cutoff, their members first.
        cutoff = times.to_us(before)
        deleted = 0
        for table in (rollups.MEMBERS, rollups.HOURS):
            ids = connection.execute(
                sa.select(table.c.id).where(table.c.hour_us < cutoff)
                .order_by(table.c.id).limit(batch_size - deleted)
            ).scalars().all()
            if ids:
                connection.execute(table.delete().where(table.c.id.in_(ids)))
                deleted += len(ids)
            if deleted >= batch_size:
                break
        return deleted
