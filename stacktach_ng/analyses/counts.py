"""The KPI summary's counts per time bucket and project, broken down
by event type, by service and by host; and the same counts of every
project per hour and per day with the first and last time each value was
seen (``summary_rollups``), which the month's summary and the lists of
hosts, services and event types read.

Counts are sums, merged with ``count = count + new``: the
``notifications`` handler passes each notification on once, so the sums
are exact whatever order the batches commit in (``rebuild`` empties the
table first). The bucket width is ``[analysis] summary_bucket``.

Each notification is counted once per dimension (see
``models.analyses.SummaryCount``).
"""

import sqlalchemy as sa

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.db import upsert

COUNTS = models.analyses.SummaryCount.__table__
ROLLUPS = models.analyses.SummaryRollup.__table__

HOUR_US = 3600 * 1000000
DAY_US = 24 * HOUR_US
#: The widths of the ``summary_rollups`` buckets.
ROLLUP_WIDTHS = (HOUR_US, DAY_US)

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
    """The batch's rows: ``(summary_counts rows in buckets of width_us,
    summary_rollups rows)``."""
    width = width_us
    # Counted per combination first (one dictionary update per record:
    # [count, first, last]), then spread over the dimensions, the
    # projects' buckets and every project's hours and days.
    combined = {}
    for record in records:
        row = record.row
        at = times.to_us(row['generated_at'])
        key = (at - at % width, at - at % HOUR_US, row['project_id'] or '',
               row['event_type'], row['service'] or '', row['host'] or '',
               operations.is_error(row))
        found = combined.get(key)
        if found is None:
            combined[key] = [1, at, at]
        else:
            found[0] += 1
            if at < found[1]:
                found[1] = at
            elif at > found[2]:
                found[2] = at
    counts = {}
    hours = {}
    for (bucket, hour, project, event_type, service, host, failed), (
            count, first, last) in combined.items():
        for dimension, name in ((EVENT_TYPE, event_type),
                                (SERVICE, service), (HOST, host)):
            found = counts.get((bucket, dimension, name, project))
            if found is None:
                found = counts[bucket, dimension, name, project] = [0, 0]
            found[0] += count
            if failed:
                found[1] += count
            _add_cell(hours, (HOUR_US, hour, dimension, name), count,
                      count if failed else 0, first, last)
    rollups = dict(hours)
    for (_width, hour, dimension, name), cell in hours.items():
        _add_cell(rollups, (DAY_US, hour - hour % DAY_US, dimension, name),
                  *cell)
    return ([{'bucket_us': key[0], 'dimension': key[1], 'name': key[2],
              'project_id': key[3], 'notifications': value[0],
              'errors': value[1]}
             for key, value in counts.items()],
            [{'width_us': key[0], 'bucket_us': key[1], 'dimension': key[2],
              'name': key[3], 'notifications': value[0],
              'errors': value[1], 'first_us': value[2],
              'last_us': value[3]}
             for key, value in rollups.items()])


def _add_cell(cells, key, count, errors, first, last):
    found = cells.get(key)
    if found is None:
        cells[key] = [count, errors, first, last]
        return
    found[0] += count
    found[1] += errors
    if first < found[2]:
        found[2] = first
    if last > found[3]:
        found[3] = last


def write_counts(connection, rows):
    """Add the rows' counts to the stored ones."""
    upsert.upsert(connection, COUNTS, rows, _KEY, _merge)


_ROLLUP_KEY = ('width_us', 'bucket_us', 'dimension', 'name')


def _merge_rollup(stored, incoming):
    return [
        ('notifications', stored.notifications + incoming.notifications),
        ('errors', stored.errors + incoming.errors),
        ('first_us', merge.least(stored.first_us, incoming.first_us)),
        ('last_us', merge.greatest(stored.last_us, incoming.last_us)),
    ]


def write_rollups(connection, rows):
    """Merge the rows into the stored roll-ups."""
    upsert.upsert(connection, ROLLUPS, rows, _ROLLUP_KEY, _merge_rollup)


def purge_rollups(connection, before, batch_size):
    """Delete at most ``batch_size`` roll-up rows whose whole hour or day
    ended before ``before``; return how many went. A bucket the cutoff
    cuts in two is kept whole: its counts stay those of its notifications,
    purged or not."""
    if batch_size <= 0:
        return 0
    table = ROLLUPS
    ids = connection.execute(
        sa.select(table.c.id).where(
            table.c.bucket_us + table.c.width_us <= times.to_us(before))
        .order_by(table.c.id).limit(batch_size)).scalars().all()
    if ids:
        connection.execute(table.delete().where(table.c.id.in_(ids)))
    return len(ids)
