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
    assignments = [
        (name, sa.case((state_wins, incoming[name]),
                                else_=stored[name]))
        for name in _STATE_COLUMNS]
    # Compared with above: assigned after the columns that depend on them
    # (MySQL applies the assignments in order).
    assignments += [
        ('state_message_id', sa.case(
            (state_wins, incoming.state_message_id),
            else_=stored.state_message_id)),
        ('state_us', analysis.greatest(stored.state_us, incoming.state_us)),
        ('first_us', analysis.least(stored.first_us, incoming.first_us)),
        ('last_us', analysis.greatest(stored.last_us, incoming.last_us)),
        ('project_id', analysis.least(stored.project_id,
                                      incoming.project_id)),
        ('resource_type', analysis.least(stored.resource_type,
                                         incoming.resource_type)),
    ]
    return assignments


def _least(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


class LifecycleHandler(analysis.AnalysisHandler):
    """Upsert one ``resources`` row per resource seen in the batch."""

    tables = (_TABLE,)
    purge_column = 'last_us'

    def process(self, connection, records):
        merged = {}
        for record in records:
            row = record.row
            resource_id = row['resource_id']
            if resource_id is None:
                continue
            at = analysis.to_us(row['generated_at'])
            status = status_of(row, record.payload)
            has_state = (status is not None or row['vm_state'] is not None
                         or row['task_state'] is not None
                         or row['power_state'] is not None)
            current = merged.get(resource_id)
            if current is None:
                current = merged[resource_id] = {
                    'resource_id': resource_id,
                    'resource_type': row['resource_type'],
                    'project_id': row['project_id'],
                    'first_us': at, 'last_us': at,
                    'state_us': None, 'state_message_id': None,
                    'vm_state': None, 'task_state': None,
                    'power_state': None, 'status': None,
                    'state_event_type': None, 'state_request_id': None,
                    'state_host': None,
                }
            else:
                current['first_us'] = min(current['first_us'], at)
                current['last_us'] = max(current['last_us'], at)
                current['project_id'] = _least(current['project_id'],
                                               row['project_id'])
                current['resource_type'] = _least(current['resource_type'],
                                                  row['resource_type'])
            if not has_state:
                continue
            message_id = row['message_id']
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
        analysis.upsert(connection, _TABLE, list(merged.values()),
                        ('resource_id',), _merge)
        return records
