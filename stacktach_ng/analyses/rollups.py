"""Roll-ups of the operations by hour and by day: the
``operation_rollups`` cells.

An ended operation (a reported one, see ``timings.REPORTED``) is counted
in the hour and the day of its end, in the cell of its operation and
service, once among every host (``all_hosts``) and once for its host
(else its end host): exact counts of operations and failures, the exact
shortest and longest duration, and a DDSketch of the durations: the bins
of the ``ddsketch`` library's logarithmic mapping (DDSketch, relative
accuracy ``ACCURACY``), ``{key: count}``. Bins of many cells merge by
adding their counts, so the timing summary of a month reads about 30 day
cells per group instead of a month of operations
(``queries.timings.summary``). Cells have no project: a project's summary
reads its own operations. The latency of the requests that ended
(``requests``: failed, or with nothing left at work) is rolled up the
same way, per operation, in the hour and the day of the request's start
(``request_rollups``, read by ``queries.summary.request_latency``).

Operations are merged from start and end notifications that arrive in
any order and twice, and a later notification can move an operation
that was already counted (a reported end after an inferred one, an
earlier start, a reschedule that splits a key in attempts). So cells are
never incremented. Ingest only marks the hours whose ended operations
may have changed (``rollup_dirty_hours``): the ``rollups`` handler reads
the end times of the operation keys a batch touches, and the start times
of its requests and of the requests whose task state its resources hold,
before the other handlers write (``before``) and after (``process``), and
marks the hours of both, which covers every hour an operation or a
request left or joined. The roller (``roll``: the listener's roll-up
thread, ``stacktach-ng-manage rollup``, the end of ``import`` and
``rebuild``) recomputes a dirty hour's cells from its operations and
requests, then its day's cells from the day's hour cells, and deletes
the mark if no batch changed the hour meanwhile (the mark's
``version``). The queries read a dirty hour, or a day with a dirty hour,
from the rows, so an answer is never behind the stored operations and
requests.

Cells are a function of the stored operations and requests, which are a
function of the stored notifications: a shuffled, duplicated replay or a
``rebuild`` followed by a roll writes the same cells.

Concurrency: a batch whose first read of a key came before another
batch's commit marks the hours of what it read and of what it wrote, not
the other batch's; the other batch marked those. The roller leaves a
mark alone until ``settle`` seconds after its last change (longer than a
batch's transaction), so by the time it reads the operations of an hour
every batch that moved an operation out of it has committed. Two rollers
rewriting one day's cells at once: the unique key makes the later one
fail; its hour stays marked and is rolled again at the next pass.
"""

import itertools
import logging
import math
import time

import orjson
import sqlalchemy as sa
from ddsketch import mapping as ddmapping
from oslo_db import exception as db_exc

from stacktach_ng.analyses import periods
from stacktach_ng.analyses import requests
from stacktach_ng.analyses import timings
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.db import upsert

LOG = logging.getLogger(__name__)

ROLLUPS = models.analyses.OperationRollup.__table__
REQUEST_ROLLUPS = models.analyses.RequestRollup.__table__
DIRTY = models.analyses.RollupDirtyHour.__table__
OPERATIONS = timings.OPERATIONS

HOUR_US = periods.HOUR_US
DAY_US = periods.DAY_US

#: The sketch's relative accuracy: a percentile is within 0.5% of the
#: exact value at its rank (the project promises 1%).
ACCURACY = 0.005
_MAPPING = ddmapping.LogarithmicMapping(ACCURACY)

# Bins of a sketch: {'p': {key: count}, 'n': {key: count}, 'z': count}
# for positive, negative (a clock that went back) and zero durations.
_POSITIVE, _NEGATIVE, _ZERO = 'p', 'n', 'z'


def empty_bins():
    return {_POSITIVE: {}, _NEGATIVE: {}, _ZERO: 0}


def add_duration(bins, value):
    """Count one duration (integer microseconds) in ``bins``."""
    if value > _MAPPING.min_possible:
        side, key = bins[_POSITIVE], _MAPPING.key(value)
    elif value < -_MAPPING.min_possible:
        side, key = bins[_NEGATIVE], _MAPPING.key(-value)
    else:
        bins[_ZERO] += 1
        return
    side[key] = side.get(key, 0) + 1


def merge_bins(bins, other):
    """Add ``other``'s counts to ``bins`` (in place)."""
    for side in (_POSITIVE, _NEGATIVE):
        mine = bins[side]
        for key, count in other[side].items():
            mine[key] = mine.get(key, 0) + count
    bins[_ZERO] += other[_ZERO]


def encode(bins):
    """The stored text of ``bins``, ``[zero count, [key, count, ...] of
    positive durations, [key, count, ...] of negative ones]`` with keys in
    order: equal bins are equal text."""
    return orjson.dumps([
        bins[_ZERO],
        [v for item in sorted(bins[_POSITIVE].items()) for v in item],
        [v for item in sorted(bins[_NEGATIVE].items()) for v in item],
    ]).decode()


def merge_text(bins, text):
    """Add the counts of stored bins (``encode``) to ``bins``."""
    zero, positive, negative = orjson.loads(text)
    bins[_ZERO] += zero
    for side, pairs in ((bins[_POSITIVE], positive),
                        (bins[_NEGATIVE], negative)):
        # A month's summary merges thousands of cells of tens of bins:
        # pairs taken by zip, and the dict's get bound once.
        pair = iter(pairs)
        get = side.get
        for key, count in zip(pair, pair, strict=False):
            side[key] = get(key, 0) + count


def merge_texts(bins, texts):
    """Add the counts of many stored bins (``encode``) to ``bins``: the
    texts are parsed in one call, and each side's dict is updated with
    its ``get`` bound once (a month's summary merges tens of thousands
    of bins)."""
    if not texts:
        return
    positive, negative = bins[_POSITIVE], bins[_NEGATIVE]
    get_positive, get_negative = positive.get, negative.get
    zero = 0
    for zeros, positive_pairs, negative_pairs in orjson.loads(
            '[%s]' % ','.join(texts)):
        zero += zeros
        pair = iter(positive_pairs)
        for key, count in zip(pair, pair, strict=False):
            positive[key] = get_positive(key, 0) + count
        if negative_pairs:
            pair = iter(negative_pairs)
            for key, count in zip(pair, pair, strict=False):
                negative[key] = get_negative(key, 0) + count
    bins[_ZERO] += zero


def decode(text):
    bins = empty_bins()
    merge_text(bins, text)
    return bins


def _ordered(bins):
    """[(key, sign, count)] of the bins from the smallest value up; a
    bin's value is ``sign`` times the mapping's for its key (within
    ``ACCURACY`` of every duration counted in it), 0 for sign 0."""
    out = [(key, -1, count)
           for key, count in sorted(bins[_NEGATIVE].items(), reverse=True)]
    if bins[_ZERO]:
        out.append((None, 0, bins[_ZERO]))
    out.extend((key, 1, count)
               for key, count in sorted(bins[_POSITIVE].items()))
    return out


def percentiles(bins, percents, lowest, highest):
    """{percent: integer microseconds} of the durations in ``bins``,
    nearest-rank like ``queries.timings.percentile``: the value of the bin
    holding rank ceil(p/100 * n), within ``ACCURACY`` of the exact one,
    and never outside the exact [lowest, highest].

    The bins are kept sparse ({key: count}) rather than in a
    ``ddsketch.DDSketch``'s dense store: merging many cells is adding
    counts, and a month of cells spans keys from microseconds to hours.
    Only the bins that hold a wanted rank are mapped to their value.
    """
    ordered = _ordered(bins)
    total = (sum(bins[_POSITIVE].values()) + sum(bins[_NEGATIVE].values())
             + bins[_ZERO])
    wanted = sorted((max(1, math.ceil(percent / 100.0 * total)), percent)
                    for percent in percents)
    out = {percent: None for percent in percents}
    if not total:
        return out
    seen = 0
    position = 0
    for key, sign, count in ordered:
        seen += count
        if wanted[position][0] > seen:
            continue
        value = sign and sign * _MAPPING.value(key)
        while position < len(wanted) and wanted[position][0] <= seen:
            out[wanted[position][1]] = min(max(int(round(value)), lowest),
                                           highest)
            position += 1
        if position == len(wanted):
            break
    return out


# -- ingest: marking the hours that changed ----------------------------

def ended_hours(connection, keys):
    """The hours of the stored ends of the operations of ``keys``."""
    table = OPERATIONS
    hours = set()
    for query in timings.of_keys(table, keys, table.c.end_us):
        for scope, request, operation, end_us in connection.execute(
                query.where(table.c.end_us.is_not(None))):
            if (scope, request, operation) in keys:
                hours.add(periods.hour_of(end_us))
    return hours


def touched_requests(records):
    """(request ids, resource ids) a batch names: its requests, and the
    resources whose standing task state may keep another request at work
    (``requests.open_requests``)."""
    request_ids, resource_ids = set(), set()
    for record in records:
        row = record.row
        if row['request_id']:
            request_ids.add(row['request_id'])
        if record.resource_ids:
            resource_ids.update(record.resource_ids)
        elif row['resource_id']:
            resource_ids.add(row['resource_id'])
    return request_ids, resource_ids


def started_hours(connection, request_ids, resource_ids):
    """The hours of the starts of the requests ``request_ids`` and of the
    requests whose task state the resources ``resource_ids`` hold."""
    resources = requests.RESOURCES
    table = requests.REQUESTS
    hours = set()
    # One statement per chunk of each (one in all for a usual batch): the
    # resources' requests are read by a subquery, not a read of their own.
    for named, held in itertools.zip_longest(
            chunking.chunks(sorted(request_ids)),
            chunking.chunks(sorted(resource_ids)), fillvalue=()):
        conditions = []
        if named:
            conditions.append(table.c.request_id.in_(named))
        if held:
            conditions.append(table.c.request_id.in_(
                sa.select(resources.c.state_request_id).where(
                    resources.c.resource_id.in_(held))))
        hours.update(periods.hour_of(first_us) for first_us in
                     connection.execute(sa.select(table.c.first_us).where(
                         sa.or_(*conditions))).scalars())
    return hours


def _bump(stored, incoming):
    # A literal, not a bound parameter: the compiled upsert binds only
    # the rows' columns.
    return [('version', stored.version + sa.literal_column('1')),
            ('changed_us', incoming.changed_us)]


def mark(connection, hours, now_us=None):
    """Mark ``hours`` as behind their operations."""
    if not hours:
        return
    now_us = int(time.time() * 1000000) if now_us is None else now_us
    upsert.upsert(connection, DIRTY,
                  [{'hour_us': hour, 'version': 1, 'changed_us': now_us}
                   for hour in hours], ('hour_us',), _bump)


# -- the roller ----------------------------------------------------------

def _new_cell():
    # [count, errors, measured, min, max, bins]
    return [0, 0, 0, None, None, empty_bins()]


def _count(cell, duration, failed):
    cell[0] += 1
    if failed:
        cell[1] += 1
    if duration is not None:
        cell[2] += 1
        add_duration(cell[5], duration)
        if cell[3] is None or duration < cell[3]:
            cell[3] = duration
        if cell[4] is None or duration > cell[4]:
            cell[4] = duration


def _merge_cell(cell, count, errors, measured, lowest, highest, sketch):
    cell[0] += count
    cell[1] += errors
    cell[2] += measured
    if lowest is not None:
        cell[3] = lowest if cell[3] is None else min(cell[3], lowest)
        cell[4] = highest if cell[4] is None else max(cell[4], highest)
        merge_text(cell[5], sketch)


# The key columns of each table's cells after width and bucket.
_KEYS = {'operation_rollups': ('all_hosts', 'operation', 'service', 'host'),
         'request_rollups': ('operation',)}
_VALUES = ('count', 'errors', 'measured', 'min_us', 'max_us', 'sketch')


def _rows(table, width, bucket, cells):
    """``table``'s rows of ``{key: cell}`` (the key: the values of the
    table's ``_KEYS``), in key order."""
    keys = _KEYS[table.name]
    return [dict(zip(keys, key, strict=True), width_us=width,
                 bucket_us=bucket, count=cell[0], errors=cell[1],
                 measured=cell[2], min_us=cell[3], max_us=cell[4],
                 sketch=encode(cell[5]))
            for key, cell in sorted(cells.items())]


def hour_cells(connection, hour):
    """The cells of the operations that ended in ``hour``."""
    table = OPERATIONS
    cells = {}
    for operation, service, host, duration, outcome in connection.execute(
            sa.select(table.c.operation, table.c.service,
                      sa.func.coalesce(table.c.host, table.c.end_host),
                      table.c.end_us - table.c.start_us, table.c.outcome)
            .where(table.c.end_us >= hour,
                   table.c.end_us < hour + HOUR_US, timings.REPORTED)):
        service = service or ''
        failed = outcome == timings.ERROR
        for key in ((True, operation, service, ''),
                    (False, operation, service, host or '')):
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = _new_cell()
            _count(cell, duration, failed)
    return _rows(ROLLUPS, HOUR_US, hour, cells)


def request_cells(connection, hour):
    """The ``request_rollups`` rows of the requests that started in
    ``hour`` and ended (failed, or with nothing left at work), by
    operation."""
    table = requests.REQUESTS
    cells = {}
    for operation, duration, failed in connection.execute(
            sa.select(table.c.operation, table.c.end_us - table.c.first_us,
                      requests.request_failed())
            .where(table.c.first_us >= hour,
                   table.c.first_us < hour + HOUR_US,
                   table.c.end_us.is_not(None),
                   sa.or_(requests.request_failed(),
                          table.c.request_id.not_in(
                              requests.open_requests())))):
        key = (operation or '',)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = _new_cell()
        _count(cell, duration, bool(failed))
    return _rows(REQUEST_ROLLUPS, HOUR_US, hour, cells)


def day_cells(connection, table, day):
    """The cells of ``table`` for a day, merged from its hour cells."""
    keys = _KEYS[table.name]
    cells = {}
    for row in connection.execute(sa.select(
            *[table.c[name] for name in keys + _VALUES]).where(
            table.c.width_us == HOUR_US, table.c.bucket_us >= day,
            table.c.bucket_us < day + DAY_US)):
        key = tuple(row[:len(keys)])
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = _new_cell()
        _merge_cell(cell, *row[len(keys):])
    return _rows(table, DAY_US, day, cells)


def _replace(connection, table, width, bucket, rows):
    connection.execute(table.delete().where(
        table.c.width_us == width, table.c.bucket_us == bucket))
    for chunk in chunking.chunks(rows):
        connection.execute(table.insert(), chunk)


def roll_hour(connection, hour, version):
    """Rewrite ``hour``'s cells and its day's; unmark the hour if its mark
    is still at ``version``. Returns whether it was unmarked."""
    day = periods.day_of(hour)
    for table, cells_of in ((ROLLUPS, hour_cells),
                            (REQUEST_ROLLUPS, request_cells)):
        _replace(connection, table, HOUR_US, hour,
                 cells_of(connection, hour))
        _replace(connection, table, DAY_US, day,
                 day_cells(connection, table, day))
    return connection.execute(DIRTY.delete().where(
        DIRTY.c.hour_us == hour,
        DIRTY.c.version == version)).rowcount == 1


def roll(database, settle=0, now_us=None, limit=None, stopping=None):
    """Roll the marked hours whose last change is at least ``settle``
    seconds old, oldest first, each in its own transaction; return how
    many were unmarked. A roll that fails on a concurrent roller's cells
    leaves its hour marked for the next pass. ``stopping`` (an Event)
    ends the pass between two hours."""
    now_us = int(time.time() * 1000000) if now_us is None else now_us
    with database.reader() as connection:
        query = sa.select(DIRTY.c.hour_us, DIRTY.c.version).where(
            DIRTY.c.changed_us <= now_us - int(settle * 1000000)
        ).order_by(DIRTY.c.hour_us)
        if limit is not None:
            query = query.limit(limit)
        marked = connection.execute(query).all()
    rolled = 0
    for hour, version in marked:
        if stopping is not None and stopping.is_set():
            break
        try:
            with database.writer() as connection:
                rolled += roll_hour(connection, hour, version)
        except (db_exc.DBDuplicateEntry, db_exc.DBDeadlock) as error:
            LOG.info('Roll-up of the hour at %d left for the next pass: '
                     '%s', hour, error)
    return rolled


# -- reading: which hours and days the cells answer ---------------------

def dirty_hours(connection, first, last):
    """The marked hours in [first, last)."""
    return set(connection.execute(sa.select(DIRTY.c.hour_us).where(
        DIRTY.c.hour_us >= first, DIRTY.c.hour_us < last)).scalars())


def cells_in(width, buckets, all_hosts):
    """The condition selecting the cells of ``buckets`` of ``width``."""
    return sa.and_(periods.in_buckets(ROLLUPS, width, buckets),
                   ROLLUPS.c.all_hosts == all_hosts)


def purge(connection, cutoff_us, batch_size):
    """Delete at most ``batch_size`` cells of buckets that start before
    ``cutoff_us``, and the marks of hours before it; return how many
    rows went. The hours left of the cutoff's day are marked, so that
    the day's cells are computed again from what is left of it."""
    deleted = 0
    for table in (ROLLUPS, REQUEST_ROLLUPS):
        ids = connection.execute(
            sa.select(table.c.id).where(table.c.bucket_us < cutoff_us)
            .order_by(table.c.id).limit(batch_size)).scalars().all()
        if ids:
            connection.execute(table.delete().where(table.c.id.in_(ids)))
            deleted += len(ids)
    if deleted:
        day = periods.day_of(cutoff_us)
        mark(connection, range(periods.hour_of(cutoff_us), day + DAY_US,
                               HOUR_US))
    marks = connection.execute(DIRTY.delete().where(
        DIRTY.c.hour_us < periods.hour_of(cutoff_us))).rowcount
    return deleted + marks
