"""The ``summary`` handler: counts per time bucket, event type, service,
host and project.

Counts are sums, merged with ``count = count + new``: the
``notifications`` handler passes each notification on once, so the sums
are exact whatever order the batches commit in. The bucket width is
``[analysis] summary_bucket``.
"""

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis

_TABLE = models.analyses.SummaryCount.__table__

_KEY = ('bucket_us', 'event_type', 'service', 'host', 'project_id')


def _merge(stored, incoming):
    return [
        ('notifications', stored.notifications + incoming.notifications),
        ('errors', stored.errors + incoming.errors),
    ]


class SummaryHandler(analysis.AnalysisHandler):
    """Add the batch's counts to their buckets."""

    tables = (_TABLE,)
    purge_column = 'bucket_us'

    def __init__(self, conf):
        super().__init__(conf)
        self.width_us = conf.analysis.summary_bucket * 1000000

    def process(self, connection, records):
        width = self.width_us
        counts = {}
        for record in records:
            row = record.row
            at = analysis.to_us(row['generated_at'])
            key = (at - at % width, row['event_type'], row['service'] or '',
                   row['host'] or '', row['project_id'] or '')
            found = counts.get(key)
            if found is None:
                found = counts[key] = [0, 0]
            found[0] += 1
            if analysis.is_error(row):
                found[1] += 1
        rows = [dict(zip(_KEY, key, strict=True), notifications=value[0],
                     errors=value[1])
                for key, value in counts.items()]
        analysis.upsert(connection, _TABLE, rows, _KEY, _merge)
        return records
