"""The ``summary`` handler: counts per time bucket and project (see
``stacktach_ng.analyses.counts``). The bucket width is ``[analysis]
summary_bucket``."""

from stacktach_ng.analyses import counts
from stacktach_ng.handlers import base


class SummaryHandler(base.AnalysisHandler):
    """Add the batch's counts to their buckets."""

    tables = (counts.COUNTS,)
    purge_column = 'bucket_us'

    def __init__(self, conf):
        super().__init__(conf)
        self.width_us = conf.analysis.summary_bucket * 1000000

    def process(self, connection, records):
        counts.write_counts(connection,
                            counts.count_rows(records, self.width_us))
        return records
