"""Read queries of the KPI summary (``/v1/summary``).

Times are returned as naive UTC ``datetime`` objects, latencies as integer
microseconds.
"""

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng.analyses import counts
from stacktach_ng.analyses import periods
from stacktach_ng.analyses import requests
from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.queries import timings

COUNTS = models.analyses.SummaryCount.__table__
ROLLUPS = counts.ROLLUPS
REQUESTS = models.analyses.Request.__table__

# Most rows of a breakdown list (the largest counts first).
MAX_BREAKDOWN = 100


def _ratio(errors, total):
    return round(errors / total, 6) if total else 0.0


def summary(connection, since, until, project_id=None, bucket=None,
            breakdown_limit=MAX_BREAKDOWN, use_rollups=False):
    """Counts, error rates and request latencies of a period.

    :param since/until: naive UTC datetimes (inclusive / exclusive); the
        counts are those of the stored buckets that start in the period.
    :param bucket: seconds; the width of the ``buckets`` series (default:
        one hour). It should be a multiple of ``[analysis]
        summary_bucket``.
    :returns: ``{"since", "until", "notifications", "errors",
        "error_rate", "by_event_type": [...], "by_service": [...],
        "by_host": [...], "buckets": [{"start", "notifications",
        "errors", "error_rate"}], "request_latency": [{"operation",
        "count", "errors", "min_us", "p50_us", "p95_us", "p99_us",
        "max_us"}]}``; each ``by_*`` item is ``{"<name>", "notifications",
        "errors", "error_rate"}``, largest first, at most
        ``breakdown_limit``. Every project's counts of whole hours and
        days come from the hourly and daily roll-ups (when ``bucket`` is
        whole hours), the rest from the summary buckets. Request latency
        runs from a request's first notification to its last ``.end`` /
        ``.error``, for requests that started in the period and ended:
        failed, or with no operation still open.
    :param use_rollups: the ``rollups`` handler is enabled (see
        ``request_latency``).
    :raises exception.InvalidParameter: a bad ``bucket``.
    """
    if bucket is not None and bucket <= 0:
        raise exception.InvalidParameter(
            'bucket must be a positive number of seconds')
    width = int((bucket or 3600) * 1000000)
    since_us, until_us = times.to_us(since), times.to_us(until)
    # The whole hours and days of every project's summary come from the
    # roll-ups, the rest from the buckets of ``summary_counts``.
    edges = [(since_us, until_us)]
    rolled = None
    first, last = periods.whole_hours(since_us, until_us)
    if (project_id is None and first < last
            and width % periods.HOUR_US == 0):
        edges = [(since_us, first), (last, until_us)]
        rolled = _rolled_up_parts(first, last, width)
    parts = []
    for start, end in edges:
        if start < end:
            conditions = [COUNTS.c.bucket_us >= start,
                          COUNTS.c.bucket_us < end]
            if project_id is not None:
                conditions.append(COUNTS.c.project_id == project_id)
            parts.append((COUNTS, conditions, conditions))
    if rolled is not None:
        parts.append(rolled)
    counted = {}
    series = {}
    for table, breakdown, timeline in parts:
        notifications = sa.func.sum(table.c.notifications)
        errors = sa.func.sum(table.c.errors)
        for dimension, name, count, failed in connection.execute(
                sa.select(table.c.dimension, table.c.name, notifications,
                          errors).where(*breakdown)
                .group_by(table.c.dimension, table.c.name)):
            _add(counted, (dimension, name), count, failed)
        # Every notification is counted once per dimension: the series
        # and the totals sum one of them.
        start = table.c.bucket_us - table.c.bucket_us % width
        for bucket_start, count, failed in connection.execute(
                sa.select(start, notifications, errors).where(
                    table.c.dimension == counts.SERVICE, *timeline)
                .group_by(start)):
            _add(series, int(bucket_start), count, failed)
    breakdowns = {name: [] for name in counts.DIMENSIONS}
    for (dimension, name), (count, failed) in counted.items():
        if dimension in breakdowns:
            breakdowns[dimension].append((name or None, count, failed))
    buckets = sorted((key, count, failed)
                     for key, (count, failed) in series.items())
    totals = [sum(row[1] for row in buckets),
              sum(row[2] for row in buckets)]
    result = {
        'since': since, 'until': until,
        'notifications': totals[0], 'errors': totals[1],
        'error_rate': _ratio(totals[1], totals[0]),
    }
    for name, values in breakdowns.items():
        values.sort(key=lambda item: (-item[1], item[0] or ''))
        result['by_' + name] = [
            {name: key, 'notifications': count, 'errors': failed,
             'error_rate': _ratio(failed, count)}
            for key, count, failed in values[:breakdown_limit]]
    result['buckets'] = [
        {'start': times.from_us(int(bucket_start)),
         'notifications': int(count), 'errors': int(failed),
         'error_rate': _ratio(int(failed), int(count))}
        for bucket_start, count, failed in buckets]
    result['request_latency'] = request_latency(
        connection, since, until, project_id, use_rollups)
    return result


def _rolled_up_parts(first, last, width):
    """(table, breakdown conditions, series conditions) of the roll-ups
    of the whole hours [first, last). The breakdowns do not depend on
    the series' width: they read the day cells of the whole days and the
    hour cells of the rest (a month is thirty day cells per value, not
    720 hour cells). The series reads the cells of its width: the hours
    (of the service dimension only, ``ix_summary_rollups_dimension``),
    or the days when it is whole days."""
    days, hours, _exact = periods.plan(first, last)

    def cells(widths):
        return [sa.or_(*[periods.in_buckets(ROLLUPS, width_, buckets)
                         for width_, buckets in widths if buckets])]

    breakdown = cells(((periods.DAY_US, days), (periods.HOUR_US, hours)))
    if width % periods.DAY_US == 0:
        return ROLLUPS, breakdown, breakdown
    return ROLLUPS, breakdown, [ROLLUPS.c.width_us == periods.HOUR_US,
                                ROLLUPS.c.bucket_us >= first,
                                ROLLUPS.c.bucket_us < last]


def _add(sums, key, count, failed):
    found = sums.get(key)
    if found is None:
        found = sums[key] = [0, 0]
    found[0] += int(count)
    found[1] += int(failed)


def request_latency(connection, since, until, project_id=None,
                    use_rollups=False):
    """Latency statistics of the requests that started in a period, per
    operation (see ``summary``): with ``use_rollups`` (the ``rollups``
    handler is enabled) and every project, the whole hours and days from
    the request roll-ups (``analyses.rollups``) except the hours not
    rolled up yet, within ``rollups.ACCURACY``; else exact."""
    since_us, until_us = times.to_us(since), times.to_us(until)
    # Ended: failed (whatever a failure left open), or ended with no
    # operation still running (see ``traces.request_item``).
    conditions = [REQUESTS.c.end_us.is_not(None),
                  sa.or_(requests.request_failed(),
                         REQUESTS.c.request_id.not_in(
                             requests.open_requests()))]
    if project_id is not None:
        conditions.append(REQUESTS.c.project_id == project_id)
    key = REQUESTS.c.operation.label('key_operation')
    duration = REQUESTS.c.end_us - REQUESTS.c.first_us
    groups = None
    first, last = periods.whole_hours(since_us, until_us)
    if use_rollups and project_id is None and first < last:
        days, hours, exact = periods.plan(
            first, last, rollups.dirty_hours(connection, first, last))
        cells = rollups.REQUEST_ROLLUPS
        groups = timings.merged_statistics(
            connection, sa.select(
                cells.c.operation, cells.c.bucket_us, cells.c.count,
                cells.c.errors, cells.c.min_us, cells.c.max_us,
                cells.c.sketch).where(sa.or_(*[
                    periods.in_buckets(cells, width, buckets)
                    for width, buckets in ((periods.DAY_US, days),
                                           (periods.HOUR_US, hours))
                    if buckets])), 1, None,
            [sa.select(key, duration, requests.request_failed()).where(
                *conditions, REQUESTS.c.first_us >= start,
                REQUESTS.c.first_us < end)
             for start, end in [(since_us, first), (last, until_us)]
             + exact if start < end])
    if groups is None:
        groups = timings.grouped_statistics(
            connection, [key], duration, requests.request_failed(),
            conditions + [REQUESTS.c.first_us >= since_us,
                          REQUESTS.c.first_us < until_us])
    out = []
    for group in sorted(groups, key=lambda k: k[0] or ''):
        item = {'operation': group[0]}
        item.update(groups[group])
        out.append(item)
    return out
