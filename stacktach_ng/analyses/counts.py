"""The KPI summary's counts per time bucket and project, broken down
by event type, by service and by host.

Counts are sums, merged with ``count = count + new``: the
``notifications`` handler passes each notification on once, so the sums
are exact whatever order the batches commit in (``rebuild`` empties the
table first). The bucket width is ``[analysis] summary_bucket``.

Each notification is counted once per dimension (see
``models.analyses.SummaryCount``).
"""

from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.db import upsert

COUNTS = models.analyses.SummaryCount.__table__

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


def count_rows(records, width_us):
    """The batch's ``summary_counts`` rows in buckets of ``width_us``."""
    width = width_us
    # Counted per combination first (one dictionary update per
    # record), then spread over the dimensions.
    combined = {}
    for record in records:
        row = record.row
        at = times.to_us(row['generated_at'])
        key = (at - at % width, row['project_id'] or '',
               row['event_type'], row['service'] or '',
               row['host'] or '', operations.is_error(row))
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
    return [{'bucket_us': key[0], 'dimension': key[1], 'name': key[2],
             'project_id': key[3], 'notifications': value[0],
             'errors': value[1]}
            for key, value in counts.items()]


def write_counts(connection, rows):
    """Add the rows' counts to the stored ones."""
    upsert.upsert(connection, COUNTS, rows, _KEY, _merge)
