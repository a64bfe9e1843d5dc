"""``tox -e bench -- queries``: the API's queries on a big database.

A database with many stored notifications (1,000,000 for the SPEC bar) is
loaded once through the import pipeline (every default handler), or an
existing one is named with ``--use-database``. Then each query of the
API's read paths runs on ids picked at random from the data, ``--samples``
times, each timed inside this process around the whole call (connection
checkout from the pool, statements, building the result):

* ``trace``: ``queries.traces.get_trace`` of a random request id;
* ``trace (largest)``: the same on the requests with most notifications;
* ``lifecycle``: ``queries.lifecycles.get_resource`` of a random resource;
* ``notification page``: ``queries.notifications.list_notifications``,
  100 rows, newest first, after a random marker;
* ``notification page (project)``: the first page of a random project;
* ``notification page (resource)``: the notifications of a resource;
* ``timing summary (1 day)``: ``queries.timings.summary`` over a random
  day of the data, by operation, read as the API reads it (from the
  roll-ups, which the default handlers keep);
* ``timing summary (30 days)``: the same over 30 days (the whole stored
  period when it is shorter), and both by operation and host;
* ``/v1/summary`` over 1 and 30 days (``queries.summary.summary``), and
  ``/v1/hosts`` and ``/v1/services`` over 1 and 30 days
  (``queries.notifications.count_by``, first page).

The ratio of each 30-day query (the timing summaries, ``/v1/summary``,
hosts and services) to its 1-day one, p95 against p95, is checked
against 2. A few untimed calls warm the caches first.

Instead of loading a file (``--input``) or naming a loaded database
(``--use-database``), ``--simulate-days`` generates the traffic of a
cloud (``--hosts``, ``--projects``, ``--ops-per-hour``) for that many
simulated days and loads it (on PostgreSQL, into the day partitions of
those days, created first). A day of a cloud of about 3,000 instances,
``--hosts 150 --projects 600 --ops-per-hour 485``, is about 333,000
notifications; a month of it, about 10,000,000, takes hours to import.
``--simulate-days 1 --replicate-days 30`` imports the one day and makes
the month of it by copying its rows inside the database, shifted by
whole days, each copy with ids of its own (``tests.perf.replicate``).
"""

import datetime
import gzip
import os
import random
import sys
import tempfile
import time

import sqlalchemy as sa

from stacktach_ng.common import jsonutils
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from stacktach_ng.queries import lifecycles
from stacktach_ng.queries import notifications
from stacktach_ng.queries import summary
from stacktach_ng.queries import timings
from stacktach_ng.queries import traces
from stacktach_ng.replay import importer
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks
from tests.perf import databases
from tests.perf import replicate
from tests.perf import report

# SPEC section 9, in milliseconds (p95).
LOOKUP_P95_MS = 20.0
SUMMARY_P95_MS = 250.0
# The 30-day timing summary against the 1-day one (p95 / p95).
MONTH_TO_DAY = 2.0
_MONTH = datetime.timedelta(days=30)

_WARM_UP = 10
_PAGE = 100

_NOTIFICATIONS = models.Notification.__table__
_REQUESTS = models.analyses.Request.__table__
_RESOURCES = models.analyses.Resource.__table__


class Sample:
    """Ids and time ranges picked at random from a loaded database."""

    def __init__(self, database, count, seed=7):
        rng = random.Random(seed)
        self.count = count
        with database.reader() as connection:
            request_ids = list(connection.execute(
                sa.select(_REQUESTS.c.request_id)).scalars())
            self.largest_requests = list(connection.execute(
                sa.select(_REQUESTS.c.request_id)
                .order_by(_REQUESTS.c.notifications.desc())
                .limit(count)).scalars())
            resource_ids = list(connection.execute(
                sa.select(_RESOURCES.c.resource_id)).scalars())
            projects = sorted(p for p in connection.execute(
                sa.select(_RESOURCES.c.project_id).distinct()).scalars()
                if p)
            low, high = connection.execute(sa.select(
                sa.func.min(_NOTIFICATIONS.c.id),
                sa.func.max(_NOTIFICATIONS.c.id))).one()
            first, last = connection.execute(sa.select(
                sa.func.min(_NOTIFICATIONS.c.generated_at),
                sa.func.max(_NOTIFICATIONS.c.generated_at))).one()
            self.stored = connection.execute(sa.select(
                sa.func.count()).select_from(_NOTIFICATIONS)).scalar()
            wanted = [rng.randint(low, high) for _ in range(count * 2)]
            self.markers = list(connection.execute(
                sa.select(_NOTIFICATIONS.c.message_id)
                .where(_NOTIFICATIONS.c.id.in_(wanted))).scalars())
        if not request_ids or not resource_ids or not self.markers:
            raise ValueError('the database holds no requests, resources or '
                             'notifications to query')
        rng.shuffle(self.markers)
        self.requests = _pick(rng, request_ids, count)
        self.resources = _pick(rng, resource_ids, count)
        self.projects = [rng.choice(projects) for _ in range(count)]
        self.days = _days(rng, first, last, count)
        self.months = _days(rng, first, last, count, _MONTH)
        self.first, self.last = first, last
        self.request_count = len(request_ids)
        self.resource_count = len(resource_ids)


def _pick(rng, values, count):
    if len(values) >= count:
        return rng.sample(values, count)
    return [rng.choice(values) for _ in range(count)]


def _days(rng, first, last, count, day=datetime.timedelta(days=1)):
    """``count`` (since, until) windows of one day (or of ``day``) inside
    [first, last]; the whole of it when it is shorter."""
    if last - first < day:
        return [(first, last + datetime.timedelta(seconds=1))] * count
    span = max((last - first - day).total_seconds(), 0.0)
    windows = []
    for _ in range(count):
        since = first + datetime.timedelta(seconds=rng.uniform(0, span))
        windows.append((since, since + day))
    return windows


def query_plan(sample):
    """(name, target p95 ms, [callables of a connection]) per query."""
    return [
        ('trace', LOOKUP_P95_MS,
         [_call(traces.get_trace, request_id)
          for request_id in sample.requests]),
        ('trace (largest)', None,
         [_call(traces.get_trace, request_id)
          for request_id in sample.largest_requests]),
        ('lifecycle', LOOKUP_P95_MS,
         [_call(lifecycles.get_resource, resource_id)
          for resource_id in sample.resources]),
        ('notification page', LOOKUP_P95_MS,
         [_call(notifications.list_notifications, limit=_PAGE,
                marker=marker)
          for marker in sample.markers[:sample.count]]),
        ('notification page (project)', LOOKUP_P95_MS,
         [_call(notifications.list_notifications, project_id=project,
                limit=_PAGE)
          for project in sample.projects]),
        ('notification page (resource)', LOOKUP_P95_MS,
         [_call(notifications.list_notifications,
                filters={'resource_id': resource_id}, limit=_PAGE)
          for resource_id in sample.resources]),
        ('timing summary (1 day)', SUMMARY_P95_MS,
         [_call(timings.summary, since=since, until=until,
                use_rollups=True)
          for since, until in sample.days]),
        ('timing summary (30 days)', SUMMARY_P95_MS,
         [_call(timings.summary, since=since, until=until,
                use_rollups=True)
          for since, until in sample.months]),
        ('timing summary by host (1 day)', SUMMARY_P95_MS,
         [_call(timings.summary, since=since, until=until,
                group_by=('operation', 'host'), use_rollups=True)
          for since, until in sample.days]),
        ('timing summary by host (30 days)', SUMMARY_P95_MS,
         [_call(timings.summary, since=since, until=until,
                group_by=('operation', 'host'), use_rollups=True)
          for since, until in sample.months]),
        ('/v1/summary (1 day)', SUMMARY_P95_MS,
         [_call(summary.summary, since, until, use_rollups=True)
          for since, until in sample.days]),
        ('/v1/summary (30 days)', SUMMARY_P95_MS,
         [_call(summary.summary, since, until, use_rollups=True)
          for since, until in sample.months]),
    ] + [
        ('%s (%s)' % (name, period), SUMMARY_P95_MS,
         [_call(notifications.count_by, column, since=since, until=until,
                use_rollups=True)
          for since, until in windows])
        for name, column in (('hosts', 'host'), ('services', 'service'))
        for period, windows in (('1 day', sample.days),
                                ('30 days', sample.months))
    ]


def simulate(path, options):
    """Write ``options.simulate_days`` of simulated traffic to ``path``
    (gzipped wire v2 JSON lines); return the number of messages."""
    simulator = engine.Simulator(
        seed=options.seed, fmt=options.format, hosts=options.hosts,
        projects=options.projects, ops_per_hour=options.ops_per_hour)
    written = 0
    with gzip.open(path, 'wt', encoding='utf-8', compresslevel=1) as out:
        for body in simulator.messages(
                duration=datetime.timedelta(days=options.simulate_days)):
            out.write(jsonutils.dumps(sinks.to_form(body, 'wire-v2')))
            out.write('\n')
            written += 1
    return written


def _call(function, *args, **kwargs):
    def call(connection):
        return function(connection, *args, **kwargs)
    return call


def time_calls(database, calls, warm_up=_WARM_UP):
    """Seconds of each call, each in a reader connection of its own."""
    for call in calls[:warm_up]:
        with database.reader() as connection:
            call(connection)
    durations = []
    for call in calls:
        started = time.perf_counter()
        with database.reader() as connection:
            call(connection)
        durations.append(time.perf_counter() - started)
    return durations


def load(database_url, path, batch_size=importer.DEFAULT_BATCH_SIZE):
    """Import ``path`` with every default handler; return (count,
    seconds)."""
    conf = databases.make_conf(database_url)
    database = db_api.Database(conf)
    try:
        job = importer.Importer(conf, database, batch_size=batch_size)
        started = time.monotonic()
        with importer.bulk_gc():
            job.import_path(path)
        job.finish()
        return job.result.stored, time.monotonic() - started
    finally:
        database.dispose()


COLUMNS = [('name', 'query'), ('count', 'samples'), ('p50_ms', 'p50 ms'),
           ('p95_ms', 'p95 ms'), ('p99_ms', 'p99 ms'), ('max_ms', 'max ms'),
           ('target_ms', 'target p95 ms'), ('passed', 'met')]


def run(options):
    """Run the query benchmark; return a ``report.Results``."""
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    scratch = None
    url = options.use_database
    results = report.Results('queries', {
        'backend': databases.backend_of(url) if url else options.backend,
        'samples': options.samples})
    try:
        if url is None:
            if options.simulate_days:
                options.input = os.path.join(work_dir, 'simulated.jsonl.gz')
                started = time.monotonic()
                written = simulate(options.input, options)
                results.parameters['simulated'] = written
                results.parameters['simulate_seconds'] = round(
                    time.monotonic() - started, 1)
                sys.stderr.write('simulated %d notifications in %.0f s\n'
                                 % (written, time.monotonic() - started))
            if not options.input:
                raise ValueError('give --input FILE (notifications to '
                                 'load), --simulate-days DAYS or '
                                 '--use-database URL (a loaded database)')
            scratch = databases.ScratchDatabase(
                options.backend, work_dir, server_url=options.server_url,
                label='bench_queries')
            url = scratch.create()
            if options.simulate_days:
                _day_partitions(url, engine.DEFAULT_START,
                                options.replicate_days
                                or options.simulate_days)
            stored, seconds = load(url, options.input)
            results.parameters['loaded'] = stored
            results.parameters['load_rate'] = round(
                report.rate(stored, seconds) or 0)
            sys.stderr.write('loaded %d notifications in %.0f s\n'
                             % (stored, seconds))
            if options.replicate_days:
                results.parameters['replicate_days'] = options.replicate_days
                results.parameters['build_seconds'] = dict(
                    simulate=results.parameters.get('simulate_seconds'),
                    load=round(seconds, 1),
                    **_replicate(url, options.replicate_days))
        database = db_api.Database(databases.make_conf(url))
        try:
            sample = Sample(database, options.samples)
            results.parameters.update(
                stored=sample.stored, requests=sample.request_count,
                resources=sample.resource_count,
                data_from=str(sample.first), data_to=str(sample.last))
            for name, target, calls in query_plan(sample):
                row = report.latency_summary(time_calls(database, calls))
                row.update(name=name, target_ms=target)
                if target is not None:
                    row['passed'] = row['p95_ms'] <= target
                    results.check('%s p95 (ms)' % name, row['p95_ms'],
                                  '<= %g' % target, row['passed'])
                results.add(**row)
                sys.stderr.write('%s: p95 %.1f ms\n' % (name,
                                                        row['p95_ms']))
            _check_month_to_day(results)
        finally:
            database.dispose()
    finally:
        if options.simulate_days and options.input and os.path.exists(
                options.input):
            os.unlink(options.input)
        if scratch is not None:
            if options.keep:
                results.note('database kept: %s' % scratch.url)
            else:
                scratch.drop()
        if not options.keep and os.path.isdir(work_dir):
            _remove_empty(work_dir)
    results.finish()
    return results


def _day_partitions(url, start, days):
    """On PostgreSQL, the day partitions of the simulated days, as the
    listener keeps them for live traffic (the migration creates today's
    and the days ahead only)."""
    database = db_api.Database(databases.make_conf(url))
    try:
        with database.writer() as connection:
            if partitions.is_partitioned(connection, 'notifications'):
                partitions.ensure(connection, 'notifications',
                                  partitions.start_of_day(start), days)
    finally:
        database.dispose()


def _replicate(url, days):
    """Copy the loaded seed day to ``days`` days; return {step:
    seconds}."""
    def log(step, seconds):
        sys.stderr.write('%s: %.1f s\n' % (step, seconds))

    database = db_api.Database(databases.make_conf(url))
    try:
        steps = replicate.replicate(database, days, log=log)
    finally:
        database.dispose()
    return {step: round(seconds, 1) for step, seconds in steps}


# The queries whose 30-day p95 is checked against their 1-day one.
_MONTH_TO_DAY_QUERIES = ('timing summary', 'timing summary by host',
                         '/v1/summary', 'hosts', 'services')


def _check_month_to_day(results):
    p95 = {row['name']: row['p95_ms'] for row in results.rows}
    for name in _MONTH_TO_DAY_QUERIES:
        day, month = p95[name + ' (1 day)'], p95[name + ' (30 days)']
        ratio = month / day if day else None
        results.check('%s 30 days / 1 day (p95)' % name,
                      None if ratio is None else round(ratio, 2),
                      '<= %g' % MONTH_TO_DAY,
                      ratio is not None and ratio <= MONTH_TO_DAY)


def _remove_empty(directory):
    try:
        os.rmdir(directory)
    except OSError:
        pass
