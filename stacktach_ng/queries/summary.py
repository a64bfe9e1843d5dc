"""Read queries of the KPI summary (``/v1/summary``).

Times are returned as naive UTC ``datetime`` objects, latencies as integer
microseconds.
"""

import sqlalchemy as sa

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis
from stacktach_ng.queries import timings

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
        started in the period and ended.
    :raises ValueError: a bad ``bucket``.
    """
    if bucket is not None and bucket <= 0:
        raise ValueError('bucket must be a positive number of seconds')
    width = int((bucket or 3600) * 1000000)
    since_us, until_us = analysis.to_us(since), analysis.to_us(until)
    query = sa.select(
        COUNTS.c.bucket_us, COUNTS.c.event_type, COUNTS.c.service,
        COUNTS.c.host, sa.func.sum(COUNTS.c.notifications),
        sa.func.sum(COUNTS.c.errors)).where(
        COUNTS.c.bucket_us >= since_us, COUNTS.c.bucket_us < until_us)
    if project_id is not None:
        query = query.where(COUNTS.c.project_id == project_id)
    query = query.group_by(COUNTS.c.bucket_us, COUNTS.c.event_type,
                           COUNTS.c.service, COUNTS.c.host)
    totals = [0, 0]
    breakdowns = {'event_type': {}, 'service': {}, 'host': {}}
    buckets = {}
    for bucket_us, event_type, service, host, count, errors in \
            connection.execute(query):
        count, errors = int(count), int(errors)
        totals[0] += count
        totals[1] += errors
        for name, value in (('event_type', event_type),
                            ('service', service), ('host', host)):
            found = breakdowns[name].setdefault(value or None, [0, 0])
            found[0] += count
            found[1] += errors
        found = buckets.setdefault(bucket_us - bucket_us % width, [0, 0])
        found[0] += count
        found[1] += errors
    result = {
        'since': since, 'until': until,
        'notifications': totals[0], 'errors': totals[1],
        'error_rate': _ratio(totals[1], totals[0]),
    }
    for name, values in breakdowns.items():
        items = sorted(values.items(),
                       key=lambda kv: (-kv[1][0], kv[0] or ''))
        result['by_' + name] = [
            {name: key, 'notifications': value[0], 'errors': value[1],
             'error_rate': _ratio(value[1], value[0])}
            for key, value in items[:breakdown_limit]]
    result['buckets'] = [
        {'start': analysis.from_us(start), 'notifications': value[0],
         'errors': value[1], 'error_rate': _ratio(value[1], value[0])}
        for start, value in sorted(buckets.items())]
    result['request_latency'] = request_latency(
        connection, since, until, project_id)
    return result


def request_latency(connection, since, until, project_id=None):
    """Latency statistics of the requests that started in a period, per
    operation (see ``summary``)."""
    query = sa.select(REQUESTS.c.operation, REQUESTS.c.first_us,
                      REQUESTS.c.end_us, REQUESTS.c.failed).where(
        REQUESTS.c.first_us >= analysis.to_us(since),
        REQUESTS.c.first_us < analysis.to_us(until),
        REQUESTS.c.end_us.is_not(None))
    if project_id is not None:
        query = query.where(REQUESTS.c.project_id == project_id)
    groups = {}
    for operation, first_us, end_us, failed in connection.execute(query):
        found = groups.setdefault(operation, [[], 0])
        found[0].append(end_us - first_us)
        if failed:
            found[1] += 1
    out = []
    for operation in sorted(groups, key=lambda o: o or ''):
        durations, errors = groups[operation]
        item = {'operation': operation}
        item.update(timings.statistics(durations, errors))
        out.append(item)
    return out
