"""The ``lifecycle`` handler: the latest state of every resource.

The timeline of a resource (every vm/task/power state and status change)
is read at query time from the ``notifications`` rows of that resource,
which carry the normalized states and are indexed by resource and time
(see ``stacktach_ng.queries.lifecycles``). This handler keeps what a
query over all resources needs: one ``resources`` row per resource with
its first and last sighting and its current state, for resource lists and
stuck detection.

The current state is the one of the state-bearing notification with the
greatest (generated time, message id): the same whatever order the
notifications arrive in.

Stuck detection also needs when the resource entered its current task
state, which the timeline gives (``queries.lifecycles.timeline``) and
which would cost a read of every candidate's notifications. The
``task_*`` columns keep it instead, as a summary of the task-state
timeline (``TaskSummary``) that two sets of notifications merge exactly
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

from stacktach_ng.db import models
from stacktach_ng.handlers import analysis

# None-aware minimum for folding a batch before its upsert.
_least = analysis.least_known

_TABLE = models.analyses.Resource.__table__
_NOTIFICATIONS = models.Notification.__table__

#: The task-state timeline of a resource, summarized (see module doc).
#: ``source`` 1 (instance updates) or 0 (other state-bearing
#: notifications); ``last``, ``brk`` and ``since`` are (time in epoch
#: microseconds, message id) or None; ``value`` is the task state of
#: ``last`` (None: no task). An empty summary has ``last`` None.
TaskSummary = collections.namedtuple(
    'TaskSummary', ('source', 'last', 'value', 'brk', 'since'))

_TASK_COLUMNS = ('task_source', 'task_us', 'task_message_id', 'task_value',
                 'task_break_us', 'task_break_message_id', 'task_since_us',
                 'task_since_message_id')

#: The result of a merge the summaries cannot decide.
UNKNOWN = object()

_STATE_COLUMNS = ('vm_state', 'task_state', 'power_state', 'status',
                  'state_event_type', 'state_request_id', 'state_host')
_LAST_COLUMNS = ('last_event_type', 'last_service', 'last_host')

# Resource types whose payload carries a ``status`` (glance, cinder).
STATUS_TYPES = frozenset(('image', 'volume', 'snapshot', 'backup'))


def status_of(row, payload):
    """The status an image/volume notification reports, or None."""
    if row['resource_type'] not in STATUS_TYPES:
        return None
    status = payload.get('status')
    if isinstance(status, str) and status:
        return status[:64]
    return None


def _merge(stored, incoming):
    state_wins = analysis.newer(stored.state_us, stored.state_message_id,
                                incoming.state_us, incoming.state_message_id)
    last_wins = analysis.newer(stored.last_us, stored.last_message_id,
                               incoming.last_us, incoming.last_message_id)
    assignments = [
        (name, sa.case((state_wins, incoming[name]),
                                else_=stored[name]))
        for name in _STATE_COLUMNS]
    assignments += [
        (name, sa.case((last_wins, incoming[name]), else_=stored[name]))
        for name in _LAST_COLUMNS]
    # Compared with above: assigned after the columns that depend on them
    # (MySQL applies the assignments in order).
    assignments += [
        ('state_message_id', sa.case(
            (state_wins, incoming.state_message_id),
            else_=stored.state_message_id)),
        ('state_us', analysis.greatest(stored.state_us, incoming.state_us)),
        ('last_message_id', sa.case(
            (last_wins, incoming.last_message_id),
            else_=stored.last_message_id)),
        ('first_us', analysis.least(stored.first_us, incoming.first_us)),
        ('last_us', analysis.greatest(stored.last_us, incoming.last_us)),
        ('project_id', analysis.least(stored.project_id,
                                      incoming.project_id)),
        ('resource_type', analysis.least(stored.resource_type,
                                         incoming.resource_type)),
    ]
    return assignments


# -- the task-state timeline summary ------------------------------------

def reports_task(row):
    """Whether a notification reports a task state for the timeline: a
    task state, or a vm state without one (an instance with no task)."""
    return row['task_state'] is not None or row['vm_state'] is not None


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


def _stored_summary(row):
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


def _summary_columns(summary):
    """The ``task_*`` column values of a summary (or None)."""
    if summary is None:
        return dict.fromkeys(_TASK_COLUMNS)
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


class _Points:
    """The task-state facts of one resource in a batch."""

    __slots__ = ('updates', 'has_update', 'others')

    def __init__(self):
        self.updates = []
        self.has_update = False
        self.others = []

    def add(self, row, at):
        is_update = analysis.is_instance_update(row['event_type'])
        if is_update:
            self.has_update = True
        if not reports_task(row):
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
    points = _Points()
    for row in connection.execute(query):
        points.add(row._mapping, analysis.to_us(row.generated_at))
    return points.summary()


def _merge_task_summaries(connection, summaries):
    """Merge the batch's task summaries into the stored ones."""
    table = _TABLE
    changed = []
    keys = sorted(summaries)
    for start in range(0, len(keys), analysis.CHUNK):
        chunk = keys[start:start + analysis.CHUNK]
        query = sa.select(table.c.resource_id, *[
            table.c[name] for name in _TASK_COLUMNS]).where(
            table.c.resource_id.in_(chunk)).with_for_update()
        for row in connection.execute(query):
            stored = _stored_summary(row)
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
                values = _summary_columns(merged)
                values['key'] = row.resource_id
                changed.append(values)
    if changed:
        connection.execute(
            table.update().where(table.c.resource_id == sa.bindparam('key'))
            .values({name: sa.bindparam(name) for name in _TASK_COLUMNS}),
            changed)


class LifecycleHandler(analysis.AnalysisHandler):
    """Upsert one ``resources`` row per resource seen in the batch."""

    tables = (_TABLE,)
    purge_column = 'last_us'

    def process(self, connection, records):
        merged = {}
        points = {}
        for record in records:
            row = record.row
            resource_id = row['resource_id']
            if resource_id is None:
                continue
            at = analysis.to_us(row['generated_at'])
            message_id = row['message_id']
            current = merged.get(resource_id)
            if current is None:
                current = merged[resource_id] = {
                    'resource_id': resource_id,
                    'resource_type': row['resource_type'],
                    'project_id': row['project_id'],
                    'first_us': at, 'last_us': at,
                    'last_message_id': message_id,
                    'last_event_type': row['event_type'],
                    'last_service': row['service'],
                    'last_host': row['host'],
                    'state_us': None, 'state_message_id': None,
                    'vm_state': None, 'task_state': None,
                    'power_state': None, 'status': None,
                    'state_event_type': None, 'state_request_id': None,
                    'state_host': None,
                }
                found = points[resource_id] = _Points()
            else:
                found = points[resource_id]
                current['first_us'] = min(current['first_us'], at)
                if (at, message_id) > (current['last_us'],
                                       current['last_message_id']):
                    current.update(
                        last_us=at, last_message_id=message_id,
                        last_event_type=row['event_type'],
                        last_service=row['service'], last_host=row['host'])
                current['project_id'] = _least(current['project_id'],
                                               row['project_id'])
                current['resource_type'] = _least(current['resource_type'],
                                                  row['resource_type'])
            found.add(row, at)
            status = status_of(row, record.payload)
            if (status is None and row['vm_state'] is None
                    and row['task_state'] is None
                    and row['power_state'] is None):
                continue
            if (current['state_us'] is not None
                    and (at, message_id) <= (current['state_us'],
                                             current['state_message_id'])):
                continue
            current.update(
                state_us=at, state_message_id=message_id,
                vm_state=row['vm_state'], task_state=row['task_state'],
                power_state=row['power_state'], status=status,
                state_event_type=row['event_type'],
                state_request_id=row['request_id'], state_host=row['host'])
        summaries = {}
        for resource_id, current in merged.items():
            summary = points[resource_id].summary()
            # New rows start with the batch's summary; stored ones keep
            # theirs until merged below.
            current.update(_summary_columns(summary))
            if summary is not None:
                summaries[resource_id] = summary
        analysis.upsert(connection, _TABLE, list(merged.values()),
                        ('resource_id',), _merge)
        _merge_task_summaries(connection, summaries)
        return records
