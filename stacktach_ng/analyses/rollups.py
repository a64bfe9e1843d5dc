"""Hourly roll-ups of operations: the ``operation_hours`` rows.

An ended operation (a reported one, see ``timings.REPORTED``) is counted
in the hour of its end, in the cell of its operation, host (else end
host), service and project: exact counts of operations and failures,
the exact shortest and longest duration, and a DDSketch of the
durations: the bins of the ``ddsketch`` library's logarithmic mapping
(DDSketch, relative accuracy ``ACCURACY``), ``{key: count}``. Bins of
many hours merge by adding their counts, so the
timing summary of a month reads a month of cells instead of a month of
operations (``queries.timings.summary``).

Operations are merged from start and end notifications that arrive in
any order and twice, and a later notification can change an operation
that was already counted (a reported end after an inferred one, an
earlier start, a reschedule that splits a key in attempts). So cells are
not incremented: what each ended operation adds to its cell is kept as
its member row (``operation_hour_members``: cell, duration, failed).
For every key of operation a batch touches, the members are compared
with the ``operations`` rows the ``timings`` handler left; the members
that changed are rewritten and the cells they left or joined are
recomputed from their members. The members are a function of the stored
operations, which are a function of the stored notifications, and a
cell a function of its members: a shuffled, duplicated replay or a
``rebuild`` writes the same rows, and a batch that changes nothing of an
ended operation (a twin, a redelivery) writes nothing.

Concurrent batches recomputing one cell both delete it and insert it:
the unique key makes the later one fail and retry, and the retry reads
the other's operations.
"""

import math

import orjson
import sqlalchemy as sa
from ddsketch import mapping as ddmapping

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import timings
from stacktach_ng.db import chunking
from stacktach_ng.db import models

HOURS = models.analyses.OperationHour.__table__
MEMBERS = models.analyses.OperationHourMember.__table__
OPERATIONS = timings.OPERATIONS

HOUR_US = 3600 * 1000000

#: The sketch's relative accuracy: a percentile is within 0.5% of the
#: exact value at its rank (the project promises 1%).
ACCURACY = 0.005
_MAPPING = ddmapping.LogarithmicMapping(ACCURACY)

# Bins of a sketch: {'p': {key: count}, 'n': {key: count}, 'z': count}
# for positive, negative (a clock that went back) and zero durations.
_POSITIVE, _NEGATIVE, _ZERO = 'p', 'n', 'z'


def hour_of(at_us):
    """The start of the hour of an epoch-microsecond time."""
    return at_us - at_us % HOUR_US


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
        for index in range(0, len(pairs), 2):
            key = pairs[index]
            side[key] = side.get(key, 0) + pairs[index + 1]


def decode(text):
    bins = empty_bins()
    merge_text(bins, text)
    return bins


def _ordered(bins):
    """[(value, count)] of the bins from the smallest value up; a bin's
    value is the mapping's for its key (within ``ACCURACY`` of every
    duration counted in it)."""
    out = [(-_MAPPING.value(key), count)
           for key, count in sorted(bins[_NEGATIVE].items(), reverse=True)]
    if bins[_ZERO]:
        out.append((0.0, bins[_ZERO]))
    out.extend((_MAPPING.value(key), count)
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
    """
    ordered = _ordered(bins)
    total = sum(count for _value, count in ordered)
    wanted = sorted((max(1, math.ceil(percent / 100.0 * total)), percent)
                    for percent in percents)
    out = {percent: None for percent in percents}
    if not total:
        return out
    seen = 0
    position = 0
    for value, count in ordered:
        seen += count
        while position < len(wanted) and wanted[position][0] <= seen:
            out[wanted[position][1]] = min(max(int(round(value)), lowest),
                                           highest)
            position += 1
        if position == len(wanted):
            break
    return out


def touched_keys(records):
    """The operation keys (scope, request, operation) a batch starts or
    ends, as the ``timings`` handler derives them."""
    keys = set()
    for record in records:
        row = record.row
        for operation, _phase, _format in timings.endpoints_of(
                row, record.payload):
            keys.add((timings.scope_of(row),
                      merge.key_text(row['request_id']), operation))
    return keys


def _of_keys(table, keys, *columns):
    """Select ``columns`` of ``table``'s rows of the operation keys, in
    chunks: by request id, or by scope for keys without one."""
    requests = sorted({key[1] for key in keys if key[1]})
    scopes = sorted({key[0] for key in keys if not key[1]})
    key_columns = (table.c.scope_id, table.c.request_id, table.c.operation)
    for chunk in chunking.chunks(requests):
        yield sa.select(*key_columns, *columns).where(
            table.c.request_id.in_(chunk))
    for chunk in chunking.chunks(scopes):
        yield sa.select(*key_columns, *columns).where(
            table.c.request_id == '', table.c.scope_id.in_(chunk))


_CELL = ('hour_us', 'operation', 'host', 'service', 'project_id')


def _current(connection, keys):
    """{(scope, request, operation, attempt): member dict} of the ended
    operations of ``keys``, from ``operations``."""
    table = OPERATIONS
    found = {}
    for query in _of_keys(
            table, keys, table.c.attempt, table.c.end_us,
            sa.func.coalesce(table.c.host, table.c.end_host),
            table.c.service, table.c.project_id, table.c.start_us,
            table.c.outcome):
        for (scope, request, operation, attempt, end_us, host, service,
             project, start_us, outcome) in connection.execute(
                query.where(table.c.end_us.is_not(None), timings.REPORTED)):
            if (scope, request, operation) not in keys:
                continue
            found[scope, request, operation, attempt] = {
                'scope_id': scope, 'request_id': request,
                'operation': operation, 'attempt': attempt,
                'hour_us': hour_of(end_us), 'host': host or '',
                'service': service or '', 'project_id': project or '',
                'duration_us': (None if start_us is None
                                else end_us - start_us),
                'failed': outcome == timings.ERROR}
    return found


_MEMBER_COLUMNS = ('hour_us', 'host', 'service', 'project_id',
                   'duration_us', 'failed')


def _stored(connection, keys):
    """{(scope, request, operation, attempt): (member id, member dict)} of
    the operations of ``keys`` counted so far."""
    table = MEMBERS
    found = {}
    for query in _of_keys(table, keys, table.c.attempt, table.c.id,
                          *[table.c[name] for name in _MEMBER_COLUMNS]):
        for row in connection.execute(query):
            if tuple(row[:3]) not in keys:
                continue
            member = dict(zip(('scope_id', 'request_id', 'operation',
                               'attempt', 'id') + _MEMBER_COLUMNS, row,
                              strict=True))
            member['failed'] = bool(member['failed'])
            found[tuple(row[:4])] = (member.pop('id'), member)
    return found


def _cell_of(member):
    return tuple(member[name] for name in _CELL)


def update(connection, records):
    """Recompute the cells a batch changed (see the module doc)."""
    keys = touched_keys(records)
    if not keys:
        return
    now = _current(connection, keys)
    before = _stored(connection, keys)
    dirty = set()
    stale = []
    for key, (id_, member) in before.items():
        if now.get(key) != member:
            stale.append(id_)
            dirty.add(_cell_of(member))
    added = []
    for key in sorted(now):
        member = now[key]
        if key not in before or before[key][1] != member:
            added.append(member)
            dirty.add(_cell_of(member))
    for chunk in chunking.chunks(stale):
        connection.execute(MEMBERS.delete().where(MEMBERS.c.id.in_(chunk)))
    for chunk in chunking.chunks(added):
        connection.execute(MEMBERS.insert(), chunk)
    recompute_cells(connection, sorted(dirty))


def cell_rows(members):
    """The ``operation_hours`` rows of members (dicts with the cell's
    columns, ``duration_us`` and ``failed``), one per cell."""
    cells = {}
    for member in members:
        key = _cell_of(member)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = dict(zip(_CELL, key, strict=True))
            cell.update(count=0, errors=0, measured=0, min_us=None,
                        max_us=None, sketch=empty_bins())
        cell['count'] += 1
        if member['failed']:
            cell['errors'] += 1
        duration = member['duration_us']
        if duration is not None:
            cell['measured'] += 1
            add_duration(cell['sketch'], duration)
            if cell['min_us'] is None or duration < cell['min_us']:
                cell['min_us'] = duration
            if cell['max_us'] is None or duration > cell['max_us']:
                cell['max_us'] = duration
    out = []
    for key in sorted(cells):
        cell = cells[key]
        cell['sketch'] = encode(cell['sketch'])
        out.append(cell)
    return out


def _matching(table, cells):
    return sa.tuple_(*[table.c[name] for name in _CELL]).in_(cells)


def recompute_cells(connection, cells):
    """Rewrite ``cells`` ((hour, operation, host, service, project)) from
    their members."""
    members = MEMBERS
    for chunk in chunking.chunks(cells, 100):
        rows = connection.execute(sa.select(
            *[members.c[name] for name in _CELL], members.c.duration_us,
            members.c.failed).where(_matching(members, chunk)))
        found = cell_rows(dict(row._mapping) for row in rows)
        connection.execute(HOURS.delete().where(_matching(HOURS, chunk)))
        if found:
            connection.execute(HOURS.insert(), found)
