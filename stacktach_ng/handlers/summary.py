"""The ``summary`` handler: counts per time bucket and project, and of
every project per hour and per day (see ``stacktach_ng.analyses.counts``).
The bucket width is ``[analysis] summary_bucket``."""

from stacktach_ng.analyses import counts
from stacktach_ng.handlers import base


class SummaryHandler(base.AnalysisHandler):
    """Add the batch's counts to their buckets."""

    tables = (counts.COUNTS, counts.ROLLUPS)
    purge_column = 'bucket_us'

    def __init__(self, conf):
        super().__init__(conf)
        self.width_us = conf.analysis.summary_bucket * 1000000

    def process(self, connection, records):
        buckets, rollups = counts.count_rows(records, self.width_us)
        counts.write_counts(connection, buckets)
        counts.write_rollups(connection, rollups)
        return records

    def purge(self, connection, before, batch_size):
        # The buckets of both tables that start before the cutoff.
        deleted = super().purge(connection, before, batch_size)
        return deleted + counts.purge_rollups(
            connection, before, batch_size - deleted)
