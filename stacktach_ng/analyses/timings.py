"""Operations from their start and end events: the ``operations`` rows.

``X.start`` and ``X.end`` / ``X.error`` of the same resource and request
make an ``operations`` row keyed by (scope, request, operation, attempt).
A failure reported without a phase (nova's legacy ``wrap_exception``
notifications named after the failing function, ``compute.exception``)
ends the operation it names with outcome ``error``.

One attempt, the common case: attempt 0 keeps the earliest start and the
latest end with that end's outcome, merged by commutative upserts, so it
does not matter which batch commits first, and nova's legacy and
versioned twins of an event (same operation name after
``operations.operation_of``, same times) collapse into one row.

Several attempts: nova reschedules a boot whose spawn failed to another
host under the same request (``create.start``, ``create.error`` on one
host, ``create.start``, ``create.end`` on the other). Folded by the
upsert, that would be one success from the first host's start to the
second host's end. The upsert also sums, in row 0, the reported starts
and ends of the key per format (``COUNTS``); a count above one marks a
key that may have several attempts. The counts are a function of the
set of notifications (the ``notifications`` handler passes each one on
once) and only grow, so once a key is marked every later batch that
touches it sees so. For those keys (``several_attempts``, read after the
upsert, which holds row 0's lock until the commit) the rows are
recomputed from the key's stored notifications (``attempt_rows``): per
format, in time order, a start opens an attempt and the next end or
error closes it (a further end with nothing open joins the last attempt,
where the latest end counts as in one attempt); legacy and versioned
attempts are twins when they are as many, or when their times are
within ``TWIN_WINDOW_US``, and a twin pair is one attempt (legacy
preferred). Attempts are numbered in time order; row 0 is updated in
place (it keeps the counts), the rows of later attempts are deleted and
written again.

Concurrent batches of one key take turns on row 0's lock: the one that
locks it last sees every other batch's count, and reads their
notifications, committed by then (a locking read on MySQL, whose
repeatable-read snapshot may predate them), so the result is the same
in any order. The common case costs one extra indexed read per batch.
"""

import collections.abc

import sqlalchemy as sa

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import times
from stacktach_ng.common import jsonutils
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.db import upsert

# None-aware minimum for folding a batch before its upsert.
_least = merge.least_known

OPERATIONS = models.analyses.Operation.__table__
_NOTIFICATIONS = models.Notification.__table__

SUCCESS = 'success'
ERROR = 'error'


# Failures that also end another operation of their request: nova's
# conductor reports "no valid host" for the scheduling that failed. The
# scheduler sends no end then, and no start either when placement had no
# candidate at all: the inferred end closes a scheduling that started, and
# an operation with nothing but an inferred end is not shown (see
# ``queries.timings.REPORTED``).
_ALSO_ENDS = {
    'compute_task.build_instances': ('scheduler.select_destinations',),
}


#: The operations a notification reported: not those that nothing but a
#: failure elsewhere ended (``endpoints_of``), such as a scheduling that
#: nova's conductor reports as failed when the scheduler never started
#: one.
REPORTED = sa.or_(OPERATIONS.c.start_us.is_not(None),
                  OPERATIONS.c.end_format < merge.INFERRED)


def endpoints_of(row, payload):
    """[(operation, phase, format)] of a notification that starts or ends
    operations (phase start/end/error), else []. ``format`` is the
    notification's (``merge.format_of``), or ``merge.INFERRED`` plus that
    for an operation it ends without reporting it."""
    operation, phase = operations.operation_of(row['event_type'])
    unscoped = row['resource_id'] is None and row['request_id'] is None
    if phase == operations.START and unscoped:
        # Nothing scopes the start: it would open an operation that any
        # later end of the same name without scope closes (a masakari
        # segment.create.start, which has no uuid yet, was paired with
        # another segment's error days later). Its end is still kept.
        return []
    if phase is None:
        if not operations.is_error(row) or unscoped:
            return []
        operation = operations.error_operation(row['event_type'], payload)
        phase = ERROR
    found = [(operation[:128], phase, merge.format_of(row))]
    if phase == ERROR:
        # Legacy first among inferred ends too, as among reported ones.
        inferred = merge.INFERRED + merge.format_of(row)
        found.extend((other, ERROR, inferred)
                     for other in _ALSO_ENDS.get(operation, ()))
    return found


def scope_of(row):
    """The ``scope_id`` of an operation's key (see the model)."""
    if row['request_id'] is None:
        return merge.key_text(row['resource_id'])
    return ''


def touched_keys(records):
    """The operation keys (scope, request, operation) a batch starts or
    ends, as ``operation_rows`` derives them."""
    keys = set()
    for record in records:
        row = record.row
        for operation, _phase, _format in endpoints_of(row, record.payload):
            keys.add((scope_of(row), merge.key_text(row['request_id']),
                      operation))
    return keys


def of_keys(table, keys, *columns):
    """Queries of ``table``'s key columns (scope, request, operation) and
    ``columns`` for the operation ``keys``, in chunks: by request id, or
    by scope for keys without one. They may return rows of other keys of
    the same requests: the caller keeps those of ``keys``."""
    request_ids = sorted({key[1] for key in keys if key[1]})
    scopes = sorted({key[0] for key in keys if not key[1]})
    key_columns = (table.c.scope_id, table.c.request_id, table.c.operation)
    for chunk in chunking.chunks(request_ids):
        yield sa.select(*key_columns, *columns).where(
            table.c.request_id.in_(chunk))
    for chunk in chunking.chunks(scopes):
        yield sa.select(*key_columns, *columns).where(
            table.c.request_id == '', table.c.scope_id.in_(chunk))


# (column, smaller is better), most significant first: a legacy endpoint
# wins over a versioned one whatever their times (see format_of), then
# the earliest start and the latest end.
_START_ORDER = (('start_format', True), ('start_us', True),
                ('start_message_id', True))
_END_ORDER = (('end_format', True), ('end_us', False),
              ('end_message_id', False))


#: Row 0's counts of reported starts and ends, by (phase is a start,
#: format); inferred ends are not counted (see ``merge.INFERRED``).
COUNTS = {(True, 0): 'legacy_starts', (True, 1): 'versioned_starts',
          (False, 0): 'legacy_ends', (False, 1): 'versioned_ends'}


def _merge(stored, incoming):
    start_wins = merge.prefer(stored, incoming, _START_ORDER)
    end_wins = merge.prefer(stored, incoming, _END_ORDER)
    return [
        (name, stored[name] + incoming[name]) for name in COUNTS.values()
    ] + [
        ('host', sa.case((start_wins, incoming.host), else_=stored.host)),
        ('service', sa.case((start_wins, incoming.service),
                            else_=stored.service)),
        ('end_host', sa.case((end_wins, incoming.end_host),
                             else_=stored.end_host)),
        ('outcome', sa.case((end_wins, incoming.outcome),
                            else_=stored.outcome)),
        ('resource_id', merge.least(stored.resource_id,
                                       incoming.resource_id)),
    ] + merge.assign_compared(
        stored, incoming, start_wins, _START_ORDER
    ) + merge.assign_compared(
        stored, incoming, end_wins, _END_ORDER
    ) + [
        ('resource_type', merge.least(stored.resource_type,
                                         incoming.resource_type)),
        ('project_id', merge.least(stored.project_id,
                                      incoming.project_id)),
    ]


def _empty(key, row):
    return {
        'scope_id': key[0], 'request_id': key[1], 'operation': key[2],
        'attempt': 0,
        'resource_id': row['resource_id'],
        'resource_type': row['resource_type'],
        'project_id': row['project_id'],
        'service': None, 'host': None, 'end_host': None,
        'start_us': None, 'end_us': None, 'outcome': None,
        'start_format': None, 'end_format': None,
        'start_message_id': None, 'end_message_id': None,
        'legacy_starts': 0, 'versioned_starts': 0,
        'legacy_ends': 0, 'versioned_ends': 0,
    }


def merge_endpoint(current, row, phase, format_=None):
    """Fold one start/end notification into an operation dict, with the
    same rules as the SQL merge; ``format_`` defaults to the row's."""
    at = times.to_us(row['generated_at'])
    message_id = row['message_id']
    if format_ is None:
        format_ = merge.format_of(row)
    current['project_id'] = _least(current['project_id'], row['project_id'])
    current['resource_id'] = _least(current['resource_id'],
                                    row['resource_id'])
    current['resource_type'] = _least(current['resource_type'],
                                      row['resource_type'])
    if phase == operations.START:
        if merge.better_start(
                format_, at, message_id,
                None if current['start_us'] is None else (
                    current['start_format'], current['start_us'],
                    current['start_message_id'])):
            current.update(start_us=at, start_message_id=message_id,
                           start_format=format_,
                           host=row['host'], service=row['service'])
    elif merge.better_end(
            format_, at, message_id,
            None if current['end_us'] is None else (
                current['end_format'], current['end_us'],
                current['end_message_id'])):
        current.update(end_us=at, end_message_id=message_id,
                       end_format=format_, end_host=row['host'],
                       outcome=SUCCESS if phase == operations.END else ERROR)


_KEY = ('scope_id', 'request_id', 'operation', 'attempt')


def _count(current, phase, format_):
    name = COUNTS.get((phase == operations.START, format_))
    if name is not None:
        current[name] += 1


def operation_rows(records):
    """The batch's attempt-0 ``operations`` rows, one per key."""
    merged = {}
    for record in records:
        row = record.row
        for operation, phase, format_ in endpoints_of(row, record.payload):
            key = (scope_of(row), merge.key_text(row['request_id']),
                   operation)
            current = merged.get(key)
            if current is None:
                current = merged[key] = _empty(key, row)
            merge_endpoint(current, row, phase, format_)
            _count(current, phase, format_)
    return list(merged.values())


def write_operations(connection, rows):
    """Merge the rows into the stored operations, then recompute the
    attempts of the keys that have several."""
    upsert.upsert(connection, OPERATIONS, rows, _KEY, _merge)
    for key in several_attempts(connection, rows):
        recompute(connection, key)


def _has_several(table):
    return sa.or_(*[table.c[name] > 1 for name in COUNTS.values()])


# Built once: a statement built per batch costs SQLAlchemy its cache key
# (and a bind parameter per id of ``in_(list)``) at every execution.
_SEVERAL_ATTEMPTS = sa.select(
    OPERATIONS.c.scope_id, OPERATIONS.c.request_id,
    OPERATIONS.c.operation).where(
    OPERATIONS.c.request_id.in_(sa.bindparam('requests', expanding=True)),
    OPERATIONS.c.attempt == 0, _has_several(OPERATIONS))
# Scoped keys (no request id, glance) share request '': their scopes
# narrow the read to the batch's resources.
_SEVERAL_ATTEMPTS_SCOPED = _SEVERAL_ATTEMPTS.where(sa.or_(
    OPERATIONS.c.request_id != '',
    OPERATIONS.c.scope_id.in_(sa.bindparam('scopes', expanding=True))))


def several_attempts(connection, rows):
    """The keys (scope, request, operation) among ``rows`` whose row 0
    counts more than one start or end of a format, in key order."""
    same = _folded if connection.dialect.name == 'mysql' else tuple
    wanted = {same((row['scope_id'], row['request_id'], row['operation']))
              for row in rows}
    found = set()
    requests = sorted({key[1] for key in wanted})
    # Scoped keys (no request id, glance) share request '': their scopes
    # narrow the read to the batch's resources.
    scopes = sorted({key[0] for key in wanted if key[0]})
    for chunk in chunking.chunks(requests):
        if '' in chunk:
            result = connection.execute(_SEVERAL_ATTEMPTS_SCOPED,
                                        {'requests': chunk,
                                         'scopes': scopes})
        else:
            result = connection.execute(_SEVERAL_ATTEMPTS,
                                        {'requests': chunk})
        found.update(key for key in map(tuple, result)
                     if same(key) in wanted)
    return sorted(found)


def _folded(key):
    # MySQL's default collation compares keys regardless of case: the
    # upsert merged the batch's key into a stored one spelled otherwise.
    return tuple(part.casefold() for part in key)


#: The farthest apart the legacy and versioned twins of an attempt are
#: matched when the formats do not count as many attempts (nova sends
#: the versioned copy milliseconds after the legacy one).
TWIN_WINDOW_US = 1000000

_NOTIFICATION_COLUMNS = ('message_id', 'event_type', 'priority',
                         'generated_at', 'service', 'host', 'request_id',
                         'project_id', 'resource_type', 'resource_id',
                         'object_name')


class _LazyPayload(collections.abc.Mapping):
    """A stored payload decoded on first use: only failures without a
    phase read it (``endpoints_of``)."""

    def __init__(self, text):
        self._text = text
        self._value = None

    def _decoded(self):
        if self._value is None:
            self._value = jsonutils.loads(self._text or '{}')
            if not isinstance(self._value, dict):
                self._value = {}
        return self._value

    def __getitem__(self, name):
        return self._decoded()[name]

    def __iter__(self):
        return iter(self._decoded())

    def __len__(self):
        return len(self._decoded())


def _stored_endpoints(connection, key):
    """[(time us, format, message id, phase, row)] of the key's stored
    notifications."""
    scope, request, operation = key
    table = _NOTIFICATIONS
    query = sa.select(*[table.c[name] for name in _NOTIFICATION_COLUMNS],
                      table.c.payload)
    if request:
        query = query.where(table.c.request_id == request)
    else:
        query = query.where(table.c.resource_id == scope,
                            sa.or_(table.c.request_id.is_(None),
                                   table.c.request_id == ''))
    if connection.dialect.name == 'mysql':
        # A locking read sees the latest committed rows, not the
        # transaction's snapshot. It skips the rows of batches not
        # committed yet: waiting for them would deadlock (they wait for
        # row 0, which this transaction holds), and each of them
        # recomputes the key after this one commits, as its upsert of
        # row 0 comes later and counts more than one.
        query = query.with_for_update(read=True, skip_locked=True)
    same = _folded if connection.dialect.name == 'mysql' else tuple
    wanted = same(key)
    found = []
    for stored in connection.execute(query):
        row = dict(stored._mapping)
        payload = _LazyPayload(row.pop('payload'))
        for name, phase, format_ in endpoints_of(row, payload):
            if same((scope_of(row), request, name)) == wanted:
                found.append((times.to_us(row['generated_at']), format_,
                              row['message_id'], phase, row))
    return found


def _paired(endpoints):
    """The attempts of one format family, in time order: lists of
    endpoints, a start opening an attempt and the next end closing the
    earliest open one (of the same resource when it names one)."""
    attempts = []
    open_ = []
    for endpoint in sorted(endpoints, key=lambda e: e[:3]):
        phase, row = endpoint[3], endpoint[4]
        if phase == operations.START:
            attempt = [endpoint]
            attempts.append(attempt)
            open_.append(attempt)
            continue
        resource = row['resource_id']
        chosen = next((a for a in open_ if resource is not None
                       and a[0][4]['resource_id'] == resource), None)
        if chosen is None and open_:
            chosen = open_[0]
        if chosen is not None:
            chosen.append(endpoint)
            open_.remove(chosen)
        elif attempts:
            # A second end of a closed attempt (old nova sent
            # ``compute.instance.instance.create.error`` and
            # ``compute.instance.create.error`` for one failure): the
            # latest end counts, as in one attempt.
            attempts[-1].append(endpoint)
        else:
            attempts.append([endpoint])
    return attempts


def _anchor(attempt):
    return attempt[0][0]


def _twins(legacy, versioned):
    """One list of attempts from each format's, twins joined."""
    if not legacy or not versioned:
        return legacy or versioned
    if len(legacy) == len(versioned):
        return [a + b for a, b in zip(legacy, versioned, strict=True)]
    joined = [list(a) for a in legacy]
    unmatched = set(range(len(joined)))
    for attempt in versioned:
        twin = min((i for i in unmatched
                    if attempt[0][3] == legacy[i][0][3]
                    and abs(_anchor(attempt) - _anchor(legacy[i]))
                    <= TWIN_WINDOW_US),
                   key=lambda i: abs(_anchor(attempt) - _anchor(legacy[i])),
                   default=None)
        if twin is None:
            joined.append(list(attempt))
        else:
            unmatched.discard(twin)
            joined[twin].extend(attempt)
    return joined


def attempt_rows(key, endpoints):
    """The ``operations`` rows of a key's endpoints, attempt 0 first."""
    families = ([], [])
    for endpoint in endpoints:
        families[endpoint[1] % 2].append(endpoint)
    attempts = _twins(_paired(families[0]), _paired(families[1]))
    rows = []
    for attempt in attempts:
        current = _empty(key, attempt[0][4])
        for _at, format_, _message_id, phase, row in attempt:
            merge_endpoint(current, row, phase, format_)
        rows.append(current)
    rows.sort(key=lambda r: (
        r['start_us'] if r['start_us'] is not None else r['end_us'],
        r['start_message_id'] or r['end_message_id'] or ''))
    for number, row in enumerate(rows):
        row['attempt'] = number
    return rows


_REWRITTEN = [name for name in models.analyses.Operation.__table__.c.keys()
              if name not in ('id',) + _KEY + tuple(COUNTS.values())]


def recompute(connection, key):
    """Rewrite the rows of a key from its stored notifications; row 0
    (locked by the upsert) keeps its counts."""
    table = OPERATIONS
    rows = attempt_rows(key, _stored_endpoints(connection, key))
    if not rows:
        return
    where = [table.c.scope_id == key[0], table.c.request_id == key[1],
             table.c.operation == key[2]]
    connection.execute(table.update().where(*where, table.c.attempt == 0)
                       .values({name: rows[0][name] for name in _REWRITTEN}))
    connection.execute(table.delete().where(*where, table.c.attempt > 0))
    if len(rows) > 1:
        connection.execute(table.insert(), rows[1:])
