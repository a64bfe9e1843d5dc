"""The ``rollups`` handler: marks the hours whose roll-up cells a batch
changed (see ``stacktach_ng.analyses.rollups``). It reads the end times
of the operations and the start times of the requests the batch touches
before the other handlers write them (``before``) and after
(``process``), so it comes after ``timings``, ``traces`` and
``lifecycle`` in ``[listener] handlers``; last is best, since the mark of
the current hour is a row that every batch writes, locked until the
batch commits."""

from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.analyses import timings
from stacktach_ng.handlers import base


class RollupsHandler(base.AnalysisHandler):
    """Mark the hours the batch's operations left or joined."""

    tables = (rollups.ROLLUPS, rollups.REQUEST_ROLLUPS, rollups.DIRTY)
    reads_before = True

    def before(self, connection, records):
        keys = timings.touched_keys(records)
        touched = rollups.touched_requests(records)
        return keys, touched, self._hours(connection, keys, touched)

    def process(self, connection, records, before):
        keys, touched, hours = before
        rollups.mark(connection,
                     hours | self._hours(connection, keys, touched))
        return records

    @staticmethod
    def _hours(connection, keys, touched):
        """The hours of the ends of the operations and of the starts of
        the requests the batch touches, as stored now."""
        hours = rollups.started_hours(connection, *touched)
        if keys:
            hours |= rollups.ended_hours(connection, keys)
        return hours

    def catch_up(self, database):
        rollups.roll(database)

    def purge(self, connection, before, batch_size):
        return rollups.purge(connection, times.to_us(before), batch_size)
