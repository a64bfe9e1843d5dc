"""Read queries of the KPI summary (``/v1/summary``).

Times are returned as naive UTC ``datetime`` objects, latencies as integer
microseconds.
"""

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng.analyses import counts
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.queries import timings
from stacktach_ng.queries import traces

COUNTS = models.analyses.SummaryCount.__table__
REQUESTS = models.analyses.Request.__table__

# Most rows of a breakdown list (the largest counts first).
MAX_BREAKDOWN = 100


def _ratio(errors, total):
    return round(errors / total, 6) if total else 0.0


def summary(connection, since, until, project_id=None, bucket=None,
            breakdown_limit=MAX_BREAKDOWN):
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
        ``breakdown_limit``. Request latency runs from a request's first
        notification to its last ``.end`` / ``.error``, for requests that
        started in the period and ended: failed, or with no operation
        still open.
    :raises exception.InvalidParameter: a bad ``bucket``.
    """
    if bucket is not None and bucket <= 0:
        raise exception.InvalidParameter(
            'bucket must be a positive number of seconds')
    width = int((bucket or 3600) * 1000000)
    conditions = [COUNTS.c.bucket_us >= times.to_us(since),
                  COUNTS.c.bucket_us < times.to_us(until)]
    if project_id is not None:
        conditions.append(COUNTS.c.project_id == project_id)
    notifications = sa.func.sum(COUNTS.c.notifications)
    errors = sa.func.sum(COUNTS.c.errors)
    breakdowns = {name: [] for name in counts.DIMENSIONS}
    for dimension, name, count, failed in connection.execute(
            sa.select(COUNTS.c.dimension, COUNTS.c.name, notifications,
                      errors).where(*conditions)
            .group_by(COUNTS.c.dimension, COUNTS.c.name)):
        if dimension in breakdowns:
            breakdowns[dimension].append((name or None, int(count),
                                          int(failed)))
    # Every notification is counted once per dimension: the series and
    # the totals sum one of them.
    start = COUNTS.c.bucket_us - COUNTS.c.bucket_us % width
    buckets = connection.execute(
        sa.select(start, notifications, errors).where(
            COUNTS.c.dimension == counts.SERVICE, *conditions)
        .group_by(start).order_by(start)).all()
    totals = [sum(int(row[1]) for row in buckets),
              sum(int(row[2]) for row in buckets)]
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
        connection, since, until, project_id)
    return result


def request_latency(connection, since, until, project_id=None):
    """Latency statistics of the requests that started in a period, per
    operation (see ``summary``), computed by the database."""
    # Ended: failed (whatever a failure left open), or ended with no
    # operation still running (see ``traces.request_item``).
    conditions = [REQUESTS.c.first_us >= times.to_us(since),
                  REQUESTS.c.first_us < times.to_us(until),
                  REQUESTS.c.end_us.is_not(None),
                  sa.or_(traces.request_failed(),
                         REQUESTS.c.request_id.not_in(
                             traces.open_requests()))]
    if project_id is not None:
        conditions.append(REQUESTS.c.project_id == project_id)
    groups = timings.grouped_statistics(
        connection, [REQUESTS.c.operation.label('key_operation')],
        REQUESTS.c.end_us - REQUESTS.c.first_us, traces.request_failed(),
        conditions)
    out = []
    for key in sorted(groups, key=lambda k: k[0] or ''):
        item = {'operation': key[0]}
        item.update(groups[key])
        out.append(item)
    return out
