"""Latency of the analysis queries on a loaded database.

A reproducible measurement for the speed targets of the analyses, run
against a database filled with the simulator, for example::

    stacktach-ng-manage simulate --count 1000000 --seed 1 --output big.jsonl
    stacktach-ng-manage --config-file big.conf import big.jsonl
    tox -e bench -- --config-file big.conf analysis-queries

It times, in this process and through the query layer the API calls, a
trace, a lifecycle, a one-day timing summary, a one-day ``/v1/summary``
and the stuck list, on ids drawn with a fixed seed, then the timing
summary by operation and host over a day and over the whole stored
period, exact and from the hourly roll-ups (``rollups`` handler) in
alternating rounds, and prints the
nearest-rank p50/p95/max of each in milliseconds. The day is the busiest
full day of the stored traffic and "now" its end, so the figures do not
depend on when the script runs.
"""

import datetime
import random
import sys
import time

import sqlalchemy as sa

from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import summary
from stacktach_ng.queries import timings
from stacktach_ng.queries import traces

_DAY_US = 86400 * 1000000


def _percentile(values, percent):
    return timings.percentile(sorted(values), percent)


def _time(function, repeat):
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        durations.append(time.perf_counter() - start)
    return durations


def _report(name, seconds):
    print('%-28s n=%-4d p50=%8.2f ms  p95=%8.2f ms  max=%8.2f ms' % (
        name, len(seconds), _percentile(seconds, 50) * 1000,
        _percentile(seconds, 95) * 1000, max(seconds) * 1000))
    sys.stdout.flush()


def _sample(connection, column, count, seed):
    ids = connection.execute(sa.select(column).where(
        column.is_not(None)).order_by(column)).scalars().all()
    return random.Random(seed).sample(ids, min(count, len(ids)))


def _busiest_day(connection):
    table = models.analyses.SummaryCount.__table__
    day = (table.c.bucket_us / _DAY_US).cast(sa.BigInteger)
    row = connection.execute(
        sa.select(day, sa.func.sum(table.c.notifications))
        .group_by(day).order_by(sa.func.sum(table.c.notifications).desc())
        .limit(1)).first()
    start = times.from_us(row[0] * _DAY_US)
    return start, start + datetime.timedelta(days=1)


def measure(database, samples=200, repeat=20, seed=1, project_id=None):
    """Time the queries; print one line per query."""
    with database.reader() as connection:
        notifications = connection.execute(
            sa.select(sa.func.count()).select_from(
                models.Notification.__table__)).scalar()
        requests = _sample(connection,
                           models.analyses.Request.__table__.c.request_id,
                           samples, seed)
        resources = _sample(
            connection, models.analyses.Resource.__table__.c.resource_id,
            samples, seed)
        since, until = _busiest_day(connection)
    print('%d notifications; day %s .. %s; project %s' % (
        notifications, since.isoformat(), until.isoformat(),
        project_id or 'all'))

    def each(ids, query):
        durations = []
        for item in ids:
            with database.reader() as connection:
                start = time.perf_counter()
                query(connection, item)
                durations.append(time.perf_counter() - start)
        return durations

    _report('trace', each(requests, lambda c, r: traces.get_trace(
        c, r, project_id=project_id, now=until)))
    _report('lifecycle', each(
        resources, lambda c, r: lifecycles.get_resource(
            c, r, project_id=project_id, now=until)))

    def day_query(query):
        def run():
            with database.reader() as connection:
                query(connection)
        return _time(run, repeat)

    _report('timing summary (1 day)', day_query(lambda c: timings.summary(
        c, project_id=project_id, since=since, until=until)))
    # The API's default period is the last day, not aligned on hours.
    shifted = datetime.timedelta(minutes=17, seconds=3)
    _report('timing summary (unaligned)', day_query(
        lambda c: timings.summary(c, project_id=project_id,
                                  since=since + shifted,
                                  until=until + shifted)))
    _report('timing summary by host', day_query(lambda c: timings.summary(
        c, project_id=project_id, since=since, until=until,
        group_by=('operation', 'host'))))
    # The same from the hourly roll-ups (the API reads them when the
    # rollups handler is enabled), over the day and over every stored
    # day, in alternating rounds.
    with database.reader() as connection:
        first, last = connection.execute(sa.select(
            sa.func.min(timings.OPERATIONS.c.end_us),
            sa.func.max(timings.OPERATIONS.c.end_us))).one()
    whole = (times.from_us(first), times.from_us(last + 1))
    periods = {'1 day': (since + shifted, until + shifted),
               '%d days' % -(-(last - first) // _DAY_US): whole}
    rounds = {}
    for _ in range(repeat):
        for name, (start, end) in periods.items():
            for rolled in (False, True):
                label = 'timing summary %s%s' % (
                    name, ' roll-ups' if rolled else '')
                with database.reader() as connection:
                    began = time.perf_counter()
                    timings.summary(connection, project_id=project_id,
                                    since=start, until=end,
                                    group_by=('operation', 'host'),
                                    use_rollups=rolled)
                    rounds.setdefault(label, []).append(
                        time.perf_counter() - began)
    for label, seconds in rounds.items():
        _report(label, seconds)
    _report('/v1/summary (1 day)', day_query(lambda c: summary.summary(
        c, since, until, project_id=project_id)))
    _report('/v1/summary (unaligned)', day_query(
        lambda c: summary.summary(c, since + shifted, until + shifted,
                                  project_id=project_id)))
    _report('stuck list', day_query(lambda c: lifecycles.list_stuck(
        c, project_id=project_id, older_than=600, now=until)))
