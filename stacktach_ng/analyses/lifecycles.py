"""The latest state of every resource: one ``resources`` row each.

The timeline of a resource (every vm/task/power state and status change)
is read at query time from the ``notifications`` rows of that resource,
which carry the normalized states and are indexed by resource and time
(see ``stacktach_ng.queries.lifecycles``). The ``resources`` row keeps
what a query over all resources needs: its first and last sighting and
its current state, for resource lists and stuck detection, and the
summary of its task-state timeline (``task_summary``).

The current state is the one of the state-bearing notification with the
greatest (generated time, message id): the same whatever order the
notifications arrive in.
"""

import sqlalchemy as sa

from stacktach_ng.analyses import merge
from stacktach_ng.analyses import states
from stacktach_ng.analyses import task_summary
from stacktach_ng.analyses import times
from stacktach_ng.db import upsert

# None-aware minimum for folding a batch before its upsert.
_least = merge.least_known

RESOURCES = task_summary.RESOURCES

_STATE_COLUMNS = ('vm_state', 'task_state', 'power_state', 'status',
                  'state_event_type', 'state_request_id', 'state_host')
_LAST_COLUMNS = ('last_event_type', 'last_service', 'last_host')


def _merge(stored, incoming):
    state_wins = merge.newer(stored.state_us, stored.state_message_id,
                                incoming.state_us, incoming.state_message_id)
    last_wins = merge.newer(stored.last_us, stored.last_message_id,
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
        ('state_us', merge.greatest(stored.state_us, incoming.state_us)),
        ('last_message_id', sa.case(
            (last_wins, incoming.last_message_id),
            else_=stored.last_message_id)),
        ('first_us', merge.least(stored.first_us, incoming.first_us)),
        ('last_us', merge.greatest(stored.last_us, incoming.last_us)),
        ('project_id', merge.least(stored.project_id,
                                      incoming.project_id)),
        ('resource_type', merge.least(stored.resource_type,
                                         incoming.resource_type)),
    ]
    return assignments


def resource_rows(records):
    """The batch's ``resources`` rows (one per resource) and their task
    summaries: ``(rows, {resource_id: TaskSummary})``."""
    merged = {}
    points = {}
    for record in records:
        row = record.row
        # A bulk event (neutron's {"ports": [...]}) names several
        # resources: each is tracked.
        for resource_id in record.resource_ids or (row['resource_id'],):
            if resource_id is not None:
                _fold(merged, points, record, row, resource_id)
    summaries = {}
    for resource_id, current in merged.items():
        summary = points[resource_id].summary()
        # New rows start with the batch's summary; stored ones keep
        # theirs until merged (write_resources).
        current.update(task_summary.summary_columns(summary))
        if summary is not None:
            summaries[resource_id] = summary
    return list(merged.values()), summaries


def _fold(merged, points, record, row, resource_id):
    """Fold one notification into the batch's row of one resource."""
    at = times.to_us(row['generated_at'])
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
        found = points[resource_id] = task_summary.Points()
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
    status = states.status_of(row, record.payload)
    if (status is None and row['vm_state'] is None
            and row['task_state'] is None
            and row['power_state'] is None):
        return
    if (current['state_us'] is not None
            and (at, message_id) <= (current['state_us'],
                                     current['state_message_id'])):
        return
    current.update(
        state_us=at, state_message_id=message_id,
        vm_state=row['vm_state'], task_state=row['task_state'],
        power_state=row['power_state'], status=status,
        state_event_type=row['event_type'],
        state_request_id=row['request_id'], state_host=row['host'])


def write_resources(connection, rows, summaries):
    """Merge the rows and task summaries into the stored ones."""
    upsert.upsert(connection, RESOURCES, rows, ('resource_id',), _merge)
    task_summary.merge_task_summaries(connection, summaries)
