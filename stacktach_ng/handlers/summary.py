"""The ``summary`` handler: counts per time bucket and project, broken
down by event type, by service and by host.

Counts are sums, merged with ``count = count + new``: the
``notifications`` handler passes each notification on once, so the sums
are exact whatever order the batches commit in (``rebuild`` empties the
table first). The bucket width is ``[analysis] summary_bucket``.

Each notification is counted once per dimension (see
``models.analyses.SummaryCount``).
"""

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis

_TABLE = models.analyses.SummaryCount.__table__

_KEY = ('bucket_us', 'dimension', 'name', 'project_id')

EVENT_TYPE = 'event_type'
SERVICE = 'service'
HOST = 'host'
DIMENSIONS = (EVENT_TYPE, SERVICE, HOST)


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
        # Counted per combination first (one dictionary update per
        # record), then spread over the dimensions.
        combined = {}
        for record in records:
            row = record.row
            at = analysis.to_us(row['generated_at'])
            key = (at - at % width, row['project_id'] or '',
                   row['event_type'], row['service'] or '',
                   row['host'] or '', analysis.is_error(row))
            combined[key] = combined.get(key, 0) + 1
        counts = {}
        for (bucket, project, event_type, service, host, failed), count \
                in combined.items():
            for dimension, name in ((EVENT_TYPE, event_type),
                                    (SERVICE, service), (HOST, host)):
                found = counts.get((bucket, dimension, name, project))
                if found is None:
                    found = counts[bucket, dimension, name, project] = [0, 0]
                found[0] += count
                if failed:
                    found[1] += count
        rows = [{'bucket_us': key[0], 'dimension': key[1], 'name': key[2],
                 'project_id': key[3], 'notifications': value[0],
                 'errors': value[1]}
                for key, value in counts.items()]
        analysis.upsert(connection, _TABLE, rows, _KEY, _merge)
        return records
