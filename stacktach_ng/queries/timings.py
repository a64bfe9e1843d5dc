"""Read queries of operations (``/v1/timings``, ``/v1/timings/summary``).

Times are returned as naive UTC ``datetime`` objects, durations as integer
microseconds. An operation dict::

    {"id", "operation", "family", "attempt", "resource_id",
     "resource_type", "request_id", "project_id", "service", "host",
     "end_host", "started_at", "ended_at", "duration_us", "outcome",
     "age_us"}

``outcome`` is ``success``, ``error`` or ``open`` (started, not ended);
``age_us`` is set for open operations (``now - started_at``). An
operation known only by its failure (no start seen) has ``started_at``
and ``duration_us`` None. ``attempt`` numbers the attempts of one
operation in one request from 0, in time order (nova's reschedule of a
failed boot to another host is attempt 1 of ``instance.create``); each
attempt is an operation with its own host, outcome and duration.

Percentiles are nearest-rank: the p-th percentile of n sorted durations
is the value at rank ceil(p/100 * n).
"""

import array
import math

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng import queries
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import periods
from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.analyses import timings as operation_timings
from stacktach_ng.common import timestamps
from stacktach_ng.db import models

OPERATIONS = models.analyses.Operation.__table__

OPEN = 'open'
OUTCOMES = ('success', 'error', OPEN)
GROUP_BY = ('operation', 'host', 'service')

# Steps of a multi-step operation that a later request performs (the
# user confirms or reverts a resize).
_LATER_REQUEST_STEPS = frozenset(('instance.resize_confirm',
                                  'instance.resize_revert'))

_COLUMNS = [OPERATIONS.c[name] for name in (
    'id', 'operation', 'attempt', 'resource_id', 'resource_type',
    'request_id', 'project_id', 'service', 'host', 'end_host', 'start_us',
    'end_us', 'outcome')]


def percentile(sorted_values, percent):
    """Nearest-rank percentile of an ascending list (None if empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(percent / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def statistics(durations, errors=0, count=None):
    """{count, errors, min_us, p50_us, p95_us, p99_us, max_us} of a list
    of durations (``count`` defaults to its length)."""
    values = sorted(durations)
    return {
        'count': len(values) if count is None else count,
        'errors': errors,
        'min_us': values[0] if values else None,
        'p50_us': percentile(values, 50),
        'p95_us': percentile(values, 95),
        'p99_us': percentile(values, 99),
        'max_us': values[-1] if values else None,
    }


def operation_item(row, now_us=None):
    """The dict of an ``operations`` row (see module doc)."""
    start_us, end_us = row.start_us, row.end_us
    duration = (end_us - start_us
                if start_us is not None and end_us is not None else None)
    outcome = row.outcome or OPEN
    return {
        'id': row.id,
        'operation': row.operation,
        'family': operations.family_of(row.operation),
        'attempt': row.attempt,
        'resource_id': row.resource_id or None,
        'resource_type': row.resource_type,
        'request_id': row.request_id or None,
        'project_id': row.project_id,
        'service': row.service,
        'host': row.host or row.end_host,
        'end_host': row.end_host,
        'started_at': times.from_us(start_us),
        'ended_at': times.from_us(end_us),
        'duration_us': duration,
        'outcome': outcome,
        'age_us': (now_us - start_us
                   if outcome == OPEN and now_us is not None
                   and start_us is not None else None),
    }


#: The operations a notification reported (see
#: ``analyses.timings.REPORTED``).
REPORTED = operation_timings.REPORTED


def _scoped(query, project_id):
    query = query.where(REPORTED)
    if project_id is not None:
        query = query.where(OPERATIONS.c.project_id == project_id)
    return query


def list_operations(connection, project_id=None, operation=None, host=None,
                    resource_id=None, request_id=None, outcome=None,
                    since=None, until=None, marker=None, limit=100,
                    now=None):
    """One page of operations, latest start first.

    :param operation: an operation name (``instance.create``) or a glob.
    :param outcome: ``success``, ``error`` or ``open``.
    :param since/until: naive UTC datetimes bounding the start time
        (inclusive / exclusive).
    :param marker: the ``id`` of the last operation of the previous page.
    :param now: naive UTC datetime for the age of open operations
        (default: the current time).
    :returns: ``(operations, more)``: operation dicts (module doc) and
        whether a next page exists.
    :raises exception.MarkerNotFound: the marker names no operation in the
        scope.
    :raises exception.InvalidParameter: an unknown outcome.
    """
    table = OPERATIONS
    query = _scoped(sa.select(*_COLUMNS), project_id)
    if operation is not None:
        if queries.is_glob(operation):
            query = query.where(table.c.operation.like(
                queries.glob_to_like(operation), escape='\\'))
        else:
            query = query.where(table.c.operation == operation)
    if host is not None:
        query = query.where(sa.or_(table.c.host == host,
                                   table.c.end_host == host))
    if resource_id is not None:
        query = query.where(table.c.resource_id == resource_id)
    if request_id is not None:
        query = query.where(table.c.request_id == request_id)
    if outcome is not None:
        if outcome not in OUTCOMES:
            raise exception.InvalidParameter('unknown outcome %r (one of %s)'
                             % (outcome, ', '.join(OUTCOMES)))
        query = query.where(table.c.outcome.is_(None) if outcome == OPEN
                            else table.c.outcome == outcome)
    if since is not None:
        query = query.where(table.c.start_us >= times.to_us(since))
    if until is not None:
        query = query.where(table.c.start_us < times.to_us(until))
    # Operations with no start sort as the oldest.
    start = sa.func.coalesce(table.c.start_us, -1)
    if marker is not None:
        key = connection.execute(_scoped(
            sa.select(start, table.c.id).where(table.c.id == marker),
            project_id)).first()
        if key is None:
            raise exception.MarkerNotFound(marker=marker)
        query = query.where(sa.or_(
            start < key[0], sa.and_(start == key[0], table.c.id < key[1])))
    query = query.order_by(start.desc(), table.c.id.desc()).limit(limit + 1)
    rows, more = queries.page(connection.execute(query), limit)
    now_us = times.to_us(now or timestamps.utcnow())
    return [operation_item(row, now_us) for row in rows], more


def operations_of(connection, project_id=None, resource_id=None,
                  request_ids=None, now=None, limit=10000):
    """Every operation of a resource or of some requests, by start time.

    :returns: a list of operation dicts (module doc).
    """
    query = _scoped(sa.select(*_COLUMNS), project_id)
    if resource_id is not None:
        query = query.where(OPERATIONS.c.resource_id == resource_id)
    if request_ids is not None:
        query = query.where(OPERATIONS.c.request_id.in_(list(request_ids)))
    query = query.order_by(sa.func.coalesce(OPERATIONS.c.start_us,
                                            OPERATIONS.c.end_us),
                           OPERATIONS.c.id).limit(limit)
    now_us = times.to_us(now or timestamps.utcnow())
    return [operation_item(row, now_us)
            for row in connection.execute(query)]


def group_steps(items):
    """Operations with the steps of multi-step ones nested.

    Resize (prep, resize, finish, then confirm or revert), live migration
    and rebuild steps of one resource are gathered under one item of
    their family, opened by the family's first step
    (``operations.is_family_opener``) or by a step of another request than
    the group's (except confirm and revert, which close the group). Other
    operations pass as they are. Input and output are in start order; a
    grouped item is ``{"operation": family, "steps": [...], "started_at",
    "ended_at", "duration_us", "outcome", ...}``.
    """
    out = []
    open_groups = {}
    for item in items:
        family = item['family']
        if family == item['operation'] and family not in (
                'instance.resize', 'instance.live_migration',
                'instance.rebuild'):
            out.append(item)
            continue
        key = (item['resource_id'], family)
        group = open_groups.get(key)
        if (group is None or operations.is_family_opener(item['operation'])
                or (item['request_id'] != group['request_id']
                    and item['operation'] not in _LATER_REQUEST_STEPS)):
            group = {
                'operation': family, 'family': family, 'steps': [],
                'resource_id': item['resource_id'],
                'resource_type': item['resource_type'],
                'request_id': item['request_id'],
                'project_id': item['project_id'],
                'host': item['host'],
            }
            open_groups[key] = group
            out.append(group)
        group['steps'].append(item)
        _summarize_group(group)
        if item['operation'] in _LATER_REQUEST_STEPS:
            del open_groups[key]
    return out


def _summarize_group(group):
    steps = group['steps']
    starts = [s['started_at'] for s in steps if s['started_at'] is not None]
    ends = [s['ended_at'] for s in steps if s['ended_at'] is not None]
    started = min(starts) if starts else None
    ended = max(ends) if ends else None
    outcomes = [s['outcome'] for s in steps]
    if 'error' in outcomes:
        outcome = 'error'
    elif OPEN in outcomes:
        outcome = OPEN
    else:
        outcome = 'success'
    group.update(
        started_at=started, ended_at=ended if outcome != OPEN else None,
        duration_us=(times.to_us(ended) - times.to_us(started)
                     if started and ended and outcome != OPEN else None),
        outcome=outcome)


def grouped_statistics(connection, keys, duration, failed, conditions):
    """Duration statistics per group, exact (nearest rank).

    The rows matching ``conditions`` are read in one scan: their group
    (``keys``, labelled SQL expressions), their duration (``duration``,
    NULL when unknown) and whether they failed (``failed``, a boolean
    expression). Each group's durations are collected as 64-bit integers
    and sorted once. Measured on SQLite at a million stored notifications
    (about 46,000 operations in a day), this is about twice as fast as
    ranking them in the database with window functions, and it reads the
    table once instead of twice; memory is 8 bytes per duration of the
    period.

    :returns: ``{key tuple: statistics dict}`` (see ``statistics``).
    """
    width = len(keys)
    query = sa.select(
        *keys, duration.label('duration'),
        sa.case((failed, 1), else_=0).label('failed')).where(*conditions)
    groups = {}
    result = connection.execute(query.execution_options(yield_per=5000))
    for row in result:
        key = tuple(row[:width])
        group = groups.get(key)
        if group is None:
            group = groups[key] = [0, 0, array.array('q')]
        group[0] += 1
        if row[width + 1]:
            group[1] += 1
        value = row[width]
        if value is not None:
            group[2].append(value)
    return {key: statistics(durations, errors, count)
            for key, (count, errors, durations) in groups.items()}


def summary(connection, project_id=None, since=None, until=None,
            operation=None, group_by=('operation',), bucket=None,
            use_rollups=False):
    """Duration statistics of the operations that ended in a period.

    :param since/until: naive UTC datetimes bounding the end time
        (inclusive / exclusive); both required.
    :param group_by: a subset of ``GROUP_BY`` (``operation``, ``host``,
        ``service``).
    :param bucket: seconds; also group by time bucket of the end time.
    :returns: a list of ``{"operation"?, "host"?, "service"?, "bucket"?,
        "count", "errors", "min_us", "p50_us", "p95_us", "p99_us",
        "max_us"}`` sorted by the group keys; ``count`` counts ended
        operations, ``errors`` those that failed; the duration statistics
        (exact, nearest rank) cover the ones with a known start.
    :param use_rollups: the roll-ups are kept (the ``rollups`` handler
        is enabled): the whole hours and days of the period are read from
        their cells, except the hours still marked as behind their
        operations (``analyses.rollups``), and only those and the partial
        hours at the period's edges from the operations. Not for a
        project's summary (cells have no project) nor a ``bucket`` that is
        not whole hours: every operation is read then, as when no hour of
        the period is rolled up yet. Counts, errors, min and max are the
        same; the percentiles are within ``analyses.rollups.ACCURACY`` of
        the exact ones.
    :raises exception.InvalidParameter: a bad ``group_by`` or ``bucket``.
    """
    group_by = tuple(group_by)
    for name in group_by:
        if name not in GROUP_BY:
            raise exception.InvalidParameter(
                'cannot group timings by %r (one of %s)'
                             % (name, ', '.join(GROUP_BY)))
    if bucket is not None and bucket <= 0:
        raise exception.InvalidParameter(
            'bucket must be a positive number of seconds')
    table = OPERATIONS
    columns = {'operation': table.c.operation,
               'host': sa.func.coalesce(table.c.host, table.c.end_host),
               'service': table.c.service}
    keys = [columns[name].label('key_%s' % name) for name in group_by]
    width = int(bucket * 1000000) if bucket else None
    if width:
        keys.append((table.c.end_us - table.c.end_us % width)
                    .label('key_bucket'))
    since_us, until_us = times.to_us(since), times.to_us(until)
    conditions = [REPORTED]
    if project_id is not None:
        conditions.append(table.c.project_id == project_id)
    if operation is not None:
        conditions.append(table.c.operation == operation)
    first, last = periods.whole_hours(since_us, until_us)
    days = hours = ()
    if (use_rollups and project_id is None and first < last
            and (width is None or width % rollups.HOUR_US == 0)):
        days, hours, exact = periods.plan(
            first, last, rollups.dirty_hours(connection, first, last),
            days=width is None or width % rollups.DAY_US == 0)
    groups = None
    if days or hours:
        edges = [(since_us, first), (last, until_us)] + exact
        groups = _rolled_up_statistics(
            connection, group_by, width, operation, days, hours,
            [(keys, conditions + [table.c.end_us >= start,
                                  table.c.end_us < end])
             for start, end in edges if start < end])
    if groups is None:
        groups = grouped_statistics(
            connection, keys, table.c.end_us - table.c.start_us,
            table.c.outcome == 'error',
            conditions + [table.c.end_us >= since_us,
                          table.c.end_us < until_us])
    out = []
    for key in sorted(groups, key=lambda k: tuple(
            '' if v is None else v for v in k)):
        item = dict(zip(group_by, key, strict=False))
        if width:
            item['bucket'] = times.from_us(key[-1])
        item.update(groups[key])
        out.append(item)
    return out


_PERCENTS = (50, 95, 99)


def _rolled_up_statistics(connection, group_by, width, operation, days,
                          hours, exact):
    """``grouped_statistics`` from the day cells of ``days`` and the hour
    cells of ``hours`` (bucket starts), merged with the operations of the
    ``exact`` parts ([(keys, conditions)]); None when there is no such
    cell. Groups with a host read the cells of each host, the others the
    cells of every host."""
    cells = rollups.ROLLUPS
    columns = {'operation': cells.c.operation, 'host': cells.c.host,
               'service': cells.c.service}
    all_hosts = 'host' not in group_by
    query = sa.select(
        *[columns[name] for name in group_by], cells.c.bucket_us,
        cells.c.count, cells.c.errors, cells.c.min_us, cells.c.max_us,
        cells.c.sketch).where(sa.or_(*[
            rollups.cells_in(width_, buckets, all_hosts)
            for width_, buckets in ((rollups.DAY_US, days),
                                    (rollups.HOUR_US, hours)) if buckets]))
    if operation is not None:
        query = query.where(cells.c.operation == operation)
    table = OPERATIONS
    return merged_statistics(
        connection, query, len(group_by), width,
        [sa.select(*keys, table.c.end_us - table.c.start_us,
                   table.c.outcome == operation_timings.ERROR)
         .where(*conditions) for keys, conditions in exact])


def _widen(group, lowest, highest):
    """Widen a merged group's [min, max] (``group[2:4]``) to [lowest,
    highest]."""
    if group[2] is None or lowest < group[2]:
        group[2] = lowest
    if group[3] is None or highest > group[3]:
        group[3] = highest


def merged_statistics(connection, cells, size, width, exact):
    """Duration statistics per group from roll-up cells merged with rows
    read one by one, whose durations go into the same sketches.

    :param cells: a query of cells: ``size`` group columns, the bucket
        start, count, errors, min, max and sketch (``analyses.rollups``).
        Unknown group values are '' in a cell, None in a row.
    :param width: with a width, the bucket start (of that width) is the
        last part of a group's key.
    :param exact: queries of rows: the group columns (with the bucket
        start, with a width), the duration (None when unknown) and
        whether it failed.
    :returns: ``{key tuple: statistics dict}`` as ``grouped_statistics``,
        the percentiles within ``rollups.ACCURACY``; None when the cells
        query found no cell (the caller reads every row exactly then).
    """
    rows = connection.execute(cells).all()
    if not rows:
        return None
    by_cell_key = {}
    # The cells' sketches are gathered per group first and merged in one
    # parse per group: per cell, only sums and extremes. A month by host
    # is tens of thousands of cells of a few thousand groups.
    for row in rows:
        key = row[:size]
        if width:
            key += (row[size] - row[size] % width,)
        count, errors, lowest, highest, sketch = row[size + 1:]
        group = by_cell_key.get(key)
        if group is None:
            # [count, errors, min, max, sketch texts, then bins]
            by_cell_key[key] = [count, errors, lowest, highest,
                                [sketch] if lowest is not None else []]
            continue
        group[0] += count
        group[1] += errors
        if lowest is not None:
            _widen(group, lowest, highest)
            group[4].append(sketch)
    groups = {}
    for key, group in by_cell_key.items():
        bins = rollups.empty_bins()
        rollups.merge_texts(bins, group[4])
        group[4] = bins
        # Unknown values: '' in a cell, None in a row and in the answer.
        groups[tuple(value or None for value in key[:size])
               + key[size:]] = group
    for query in exact:
        for row in connection.execute(query):
            key = tuple(row[:-2])
            group = groups.get(key)
            if group is None:
                group = groups[key] = [0, 0, None, None,
                                       rollups.empty_bins()]
            group[0] += 1
            if row[-1]:
                group[1] += 1
            duration = row[-2]
            if duration is not None:
                _widen(group, duration, duration)
                rollups.add_duration(group[4], duration)
    out = {}
    for key, (count, errors, lowest, highest, bins) in groups.items():
        values = rollups.percentiles(bins, _PERCENTS, lowest, highest)
        out[key] = {'count': count, 'errors': errors, 'min_us': lowest,
                    'p50_us': values[50], 'p95_us': values[95],
                    'p99_us': values[99], 'max_us': highest}
    return out
