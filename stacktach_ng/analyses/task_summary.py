"""The task-state timeline of a resource, summarized for stuck detection.

Stuck detection needs when a resource entered its current task state,
which the timeline gives (``queries.lifecycles.timeline``) and which would
cost a read of every candidate's notifications. The ``task_*`` columns of
``resources`` keep it instead, as a summary of the task-state timeline
(``TaskSummary``) that two sets of notifications merge exactly
(``merge_summaries``): the latest task state, the latest notification
reporting another one (the break) and the first one after the break.
The merge is a set union, so redeliveries and replays change nothing and
the order of batches does not matter; in the rare case where a late
notification lands inside a run the summaries cannot place (a different
task state in the middle of a run), the summary is recomputed from the
resource's stored notifications. That merge is done in Python on the
rows this transaction has locked (the upsert locks them; the read is a
locking read), so concurrent batches take turns per resource.
"""

import collections

import sqlalchemy as sa

from stacktach_ng.analyses import operations
from stacktach_ng.analyses import states
from stacktach_ng.analyses import times
from stacktach_ng.db import chunking
from stacktach_ng.db import models

RESOURCES = models.analyses.Resource.__table__
_NOTIFICATIONS = models.Notification.__table__

#: The task-state timeline of a resource, summarized (see module doc).
#: ``source`` 1 (instance updates) or 0 (other state-bearing
#: notifications); ``last``, ``brk`` and ``since`` are (time in epoch
#: microseconds, message id) or None; ``value`` is the task state of
#: ``last`` (None: no task). An empty summary has ``last`` None.
TaskSummary = collections.namedtuple(
    'TaskSummary', ('source', 'last', 'value', 'brk', 'since'))

TASK_COLUMNS = ('task_source', 'task_us', 'task_message_id', 'task_value',
                 'task_break_us', 'task_break_message_id', 'task_since_us',
                 'task_since_message_id')

#: The result of a merge the summaries cannot decide.
UNKNOWN = object()


def task_summary(points, source):
    """The ``TaskSummary`` of ``(time us, message id, task state)`` points
    of one source, in any order."""
    if not points:
        return TaskSummary(source, None, None, None, None)
    points = sorted(points, key=lambda point: (point[0], point[1]))
    value = points[-1][2]
    brk = None
    since = points[0]
    for index in range(len(points) - 2, -1, -1):
        if points[index][2] != value:
            brk = points[index][:2]
            since = points[index + 1]
            break
    return TaskSummary(source, points[-1][:2], value, brk, since[:2])


def _later(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a > b else b


def merge_summaries(a, b):
    """The summary of the union of two sets of notifications, from their
    summaries (either may be None: nothing known), or ``UNKNOWN`` when
    the summaries cannot tell (a break lands inside the other's run).

    Instance updates (source 1) replace every other source, as in the
    timeline. The sets may overlap.
    """
    if a is None or b is None:
        return b if a is None else a
    if a.source != b.source:
        return a if a.source > b.source else b
    if a.last is None or b.last is None:
        return b if a.last is None else a
    winner, loser = (a, b) if a.last >= b.last else (b, a)
    value = winner.value
    if loser.value != value:
        brk = _later(winner.brk, loser.last)
    else:
        brk = _later(winner.brk, loser.brk)
    since = []
    for side in (winner, loser):
        if side.value != value:
            continue
        # The side's rows of ``value`` after its own break run from its
        # ``since`` to its ``last``.
        if brk is None or brk < side.since:
            since.append(side.since)
        elif brk < side.last:
            return UNKNOWN
    return TaskSummary(winner.source, winner.last, value, brk, min(since))


def stored_summary(row):
    if row.task_source is None:
        return None
    return TaskSummary(
        row.task_source,
        None if row.task_us is None else (row.task_us, row.task_message_id),
        row.task_value,
        (None if row.task_break_us is None
         else (row.task_break_us, row.task_break_message_id)),
        (None if row.task_since_us is None
         else (row.task_since_us, row.task_since_message_id)))


def summary_columns(summary):
    """The ``task_*`` column values of a summary (or None)."""
    if summary is None:
        return dict.fromkeys(TASK_COLUMNS)
    last, brk, since = summary.last, summary.brk, summary.since
    return {
        'task_source': summary.source,
        'task_us': last and last[0], 'task_message_id': last and last[1],
        'task_value': summary.value,
        'task_break_us': brk and brk[0],
        'task_break_message_id': brk and brk[1],
        'task_since_us': since and since[0],
        'task_since_message_id': since and since[1],
    }


class Points:
    """The task-state facts of one resource in a batch."""

    __slots__ = ('updates', 'has_update', 'others')

    def __init__(self):
        self.updates = []
        self.has_update = False
        self.others = []

    def add(self, row, at):
        is_update = operations.is_instance_update(row['event_type'])
        if is_update:
            self.has_update = True
        if not states.reports_task(row):
            return
        point = (at, row['message_id'], row['task_state'])
        if is_update:
            self.updates.append(point)
        self.others.append(point)

    def summary(self):
        if self.has_update:
            return task_summary(self.updates, 1)
        if self.others:
            return task_summary(self.others, 0)
        return None


def recompute_summary(connection, resource_id):
    """The ``TaskSummary`` of a resource from its stored notifications."""
    table = _NOTIFICATIONS
    query = sa.select(
        table.c.generated_at, table.c.message_id, table.c.event_type,
        table.c.vm_state, table.c.task_state).where(
        table.c.resource_id == resource_id)
    if connection.dialect.name == 'mysql':
        # A locking read sees the latest committed rows, not the
        # transaction's snapshot.
        query = query.with_for_update(read=True)
    points = Points()
    for row in connection.execute(query):
        points.add(row._mapping, times.to_us(row.generated_at))
    return points.summary()


# Built once: a statement built per batch costs SQLAlchemy its cache key
# (and a bind parameter per id of ``in_(list)``) at every execution.
_STORED_SUMMARIES = sa.select(
    RESOURCES.c.resource_id,
    *[RESOURCES.c[name] for name in TASK_COLUMNS]).where(
    RESOURCES.c.resource_id.in_(
        sa.bindparam('resource_ids', expanding=True))).with_for_update()
_UPDATE_SUMMARY = RESOURCES.update().where(
    RESOURCES.c.resource_id == sa.bindparam('key')).values(
    {name: sa.bindparam(name) for name in TASK_COLUMNS})


def merge_task_summaries(connection, summaries):
    """Merge the batch's task summaries into the stored ones."""
    changed = []
    keys = sorted(summaries)
    for start in range(0, len(keys), chunking.CHUNK):
        chunk = keys[start:start + chunking.CHUNK]
        for row in connection.execute(_STORED_SUMMARIES,
                                      {'resource_ids': chunk}):
            stored = stored_summary(row)
            incoming = summaries.get(row.resource_id)
            if incoming is None:
                # MySQL's default collation compares ids regardless of
                # case: the stored 'NaN' answers for the batch's 'nan' (the
                # upsert merged them, as MySQL sees one resource). Looked
                # up as it was, it failed the whole batch (KeyError); the
                # notifications of both, as MySQL sees them, tell.
                merged = recompute_summary(connection, row.resource_id)
            else:
                merged = merge_summaries(stored, incoming)
            if merged is UNKNOWN:
                merged = recompute_summary(connection, row.resource_id)
            if merged != stored:
                values = summary_columns(merged)
                values['key'] = row.resource_id
                changed.append(values)
    if changed:
        connection.execute(_UPDATE_SUMMARY, changed)


