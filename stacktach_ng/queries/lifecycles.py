"""Read queries of resource lifecycles (``/v1/resources``).

Times are returned as naive UTC ``datetime`` objects, durations as integer
microseconds.

The timeline of a resource is computed from its notifications, read in
generated-time order through the ``(resource_id, generated_at)`` index:
states are the NEW values each notification reports (nova's
``old_task_state`` cannot be trusted), and a transition is a change of a
value from the previous notification's. When a resource has instance
update notifications (``compute.instance.update`` / ``instance.update``),
only they are read for states: the start/end events repeat states nova
had already reported, sometimes stale ones. Nova's ``both`` format sends
each update twice a moment apart with the same states: the copy changes
nothing.
"""

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng import queries
from stacktach_ng.analyses import open_work
from stacktach_ng.analyses import operations
from stacktach_ng.analyses import states
from stacktach_ng.analyses import times
from stacktach_ng.common import jsonutils
from stacktach_ng.common import timestamps
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.queries import errors as error_queries
from stacktach_ng.queries import timings

NOTIFICATIONS = models.Notification.__table__
RESOURCES = models.analyses.Resource.__table__
OPERATIONS = models.analyses.Operation.__table__
OPEN_WORK = models.analyses.OpenWork.__table__

STATE_FIELDS = ('vm_state', 'task_state', 'power_state', 'status')

# Bound on the notifications read for one resource.
MAX_NOTIFICATIONS = 20000

_ROW_COLUMNS = [NOTIFICATIONS.c[name] for name in (
    'message_id', 'event_type', 'generated_at', 'request_id', 'service',
    'host', 'resource_type', 'vm_state', 'task_state', 'power_state')]


def _notification_states(connection, resource, project_id,
                         limit=MAX_NOTIFICATIONS):
    """The state-bearing facts of a resource's notifications, in time
    order (dicts with the keys of ``timeline``).

    :param resource: its ``resources`` row; only the notifications dated
        from its first to its last sighting are read
        (``queries.dated_between``).
    """
    # Only images and volumes need their payload (their status).
    payload_column = sa.case(
        (NOTIFICATIONS.c.resource_type.in_(sorted(states.STATUS_TYPES)),
         NOTIFICATIONS.c.payload), else_=sa.null()).label('payload')
    query = sa.select(*_ROW_COLUMNS, payload_column).where(
        NOTIFICATIONS.c.resource_id == resource.resource_id,
        queries.dated_between(NOTIFICATIONS.c.generated_at,
                              resource.first_us, resource.last_us))
    if project_id is not None:
        query = query.where(NOTIFICATIONS.c.project_id == project_id)
    query = query.order_by(NOTIFICATIONS.c.generated_at,
                           NOTIFICATIONS.c.message_id).limit(limit)
    out = []
    for row in connection.execute(query):
        item = dict(row._mapping)
        payload = item.pop('payload')
        item['status'] = None
        if payload is not None:
            try:
                document = jsonutils.loads(payload)
            except ValueError:
                document = {}
            if isinstance(document, dict):
                item['status'] = states.status_of(item, document)
        out.append(item)
    return out


def timeline(rows):
    """Transitions and task-state intervals of time-ordered state rows.

    ``rows``: dicts with ``generated_at``, ``message_id``, ``event_type``,
    ``request_id``, ``service``, ``host`` and the ``STATE_FIELDS``.

    :returns: ``(transitions, task_states)``: transitions are ``{"at",
        "field", "from", "to", "event_type", "request_id", "service",
        "host", "message_id"}`` (the first value of a field has ``from``
        None); task states are ``{"task_state", "entered_at", "left_at",
        "duration_us", "request_id", "service", "host"}``, the last one
        with ``left_at`` and ``duration_us`` None.
    """
    updates = [r for r in rows if operations.is_instance_update(
        r['event_type'])]
    source = updates or [r for r in rows if any(
        r[name] is not None for name in STATE_FIELDS)]
    is_instance = bool(updates) or any(
        r['vm_state'] is not None for r in source)
    current = {}
    transitions = []
    task_states = []
    for row in source:
        for name in STATE_FIELDS:
            value = row[name]
            # An instance without a task has task_state None: that is a
            # value. Other missing fields are simply not reported.
            if value is None and not (name == 'task_state' and is_instance
                                      and row['vm_state'] is not None):
                continue
            if name in current and current[name] == value:
                continue
            transitions.append({
                'at': row['generated_at'], 'field': name,
                'from': current.get(name), 'to': value,
                'event_type': row['event_type'],
                'request_id': row['request_id'],
                'service': row['service'], 'host': row['host'],
                'message_id': row['message_id'],
            })
            current[name] = value
            if name == 'task_state':
                if task_states:
                    _close(task_states[-1], row['generated_at'])
                task_states.append({
                    'task_state': value, 'entered_at': row['generated_at'],
                    'left_at': None, 'duration_us': None,
                    'request_id': row['request_id'],
                    'service': row['service'], 'host': row['host'],
                })
    return transitions, task_states


def _close(interval, at):
    interval['left_at'] = at
    interval['duration_us'] = (times.to_us(at)
                               - times.to_us(interval['entered_at']))


def time_in_task_states(task_states):
    """Total microseconds spent in each (named) task state."""
    totals = {}
    for interval in task_states:
        if interval['task_state'] is None or interval['duration_us'] is None:
            continue
        totals[interval['task_state']] = (
            totals.get(interval['task_state'], 0) + interval['duration_us'])
    return totals


def _resource_item(row):
    return {
        'resource_id': row.resource_id,
        'resource_type': row.resource_type,
        'project_id': row.project_id,
        'first_seen': times.from_us(row.first_us),
        'last_seen': times.from_us(row.last_us),
        'vm_state': row.vm_state,
        'task_state': row.task_state,
        'power_state': row.power_state,
        'status': row.status,
        'state_at': times.from_us(row.state_us),
        'state_event_type': row.state_event_type,
        'state_request_id': row.state_request_id,
        'state_host': row.state_host,
    }


def _scoped(query, table, project_id):
    if project_id is not None:
        query = query.where(table.c.project_id == project_id)
    return query


def get_resource(connection, resource_id, project_id=None, now=None):
    """The lifecycle of one resource, or None when unknown in the scope.

    :returns: ``{"resource_id", "resource_type", "project_id",
        "first_seen", "last_seen", "vm_state", "task_state", "power_state",
        "status", "state_at", "state_event_type", "state_request_id",
        "state_host", "transitions": [...], "task_states": [...],
        "time_in_task_state": {name: us}, "operations": [...],
        "faults": [...]}``: transitions and task states as in
        ``timeline``; operations as in ``timings`` (multi-step ones
        grouped with their ``steps``, see ``timings.group_steps``);
        faults as in ``errors.error_events``.
    """
    row = connection.execute(_scoped(
        sa.select(RESOURCES).where(RESOURCES.c.resource_id == resource_id),
        RESOURCES, project_id)).first()
    if row is None:
        return None
    item = _resource_item(row)
    rows = _notification_states(connection, row, project_id)
    transitions, task_states = timeline(rows)
    item['transitions'] = transitions
    item['task_states'] = task_states
    item['time_in_task_state'] = time_in_task_states(task_states)
    item['operations'] = timings.group_steps(timings.operations_of(
        connection, project_id, resource_id=resource_id, now=now))
    item['faults'] = error_queries.error_events(
        connection, project_id, resource_id=resource_id)
    return item


def list_resources(connection, project_id=None, resource_type=None,
                   marker=None, limit=100):
    """One page of resources, most recently seen first.

    :param marker: the ``resource_id`` of the last item of the previous
        page.
    :returns: ``(resources, more)``; a resource is the dict of
        ``get_resource`` without the lists.
    :raises exception.MarkerNotFound: the marker names no resource in the
        scope.
    """
    table = RESOURCES
    query = _scoped(sa.select(table), table, project_id)
    if resource_type is not None:
        query = query.where(table.c.resource_type == resource_type)
    if marker is not None:
        key = connection.execute(_scoped(
            sa.select(table.c.last_us).where(table.c.resource_id == marker),
            table, project_id)).scalar()
        if key is None:
            raise exception.MarkerNotFound(marker=marker)
        query = query.where(sa.or_(table.c.last_us < key, sa.and_(
            table.c.last_us == key, table.c.resource_id < marker)))
    query = query.order_by(table.c.last_us.desc(),
                           table.c.resource_id.desc()).limit(limit + 1)
    rows, more = queries.page(connection.execute(query), limit)
    return [_resource_item(row) for row in rows], more


def resource_types(connection, project_id=None, limit=100):
    """The resource types known in the scope, sorted (at most ``limit``):
    what a ``resource_type`` filter can match."""
    table = RESOURCES
    query = _scoped(sa.select(table.c.resource_type).distinct(), table,
                    project_id).where(table.c.resource_type.isnot(None))
    return sorted(row[0] for row in connection.execute(
        query.order_by(table.c.resource_type).limit(limit)))


def list_stuck(connection, project_id=None, older_than=600, now=None,
               marker=None, limit=100, use_open_work=False):
    """Resources stuck, longest stuck first.

    A resource that reports task states (nova's instances) is stuck when
    its task state is not none and has not changed for more than
    ``older_than`` seconds before ``now``, whether or not an operation is
    open: a boot whose compute host never starts it stays "scheduling"
    with every operation of its request ended. A resource without task
    states is stuck when it has an open operation (started, never ended)
    that started more than ``older_than`` seconds before ``now``; so is a
    resource whose last report said it had no task, when the operation
    started after that report (a neutron network ``ACTIVE``, then a
    ``network.delete.start``, which reports no state, that never ended).

    With ``use_open_work`` (the ``open_work`` handler is enabled) the page
    is one index range of ``open_work`` (``analyses.open_work``), and
    only its items are read. Without, the cost is indexed reads of the
    candidates (the resources in a task state, the open operations that
    started before the threshold), then of their open operations: when a
    resource entered its task state and its last notification are kept
    on the resource by the ``lifecycle`` handler (the ``task_*`` and
    ``last_*`` columns), so no timeline is read.

    :param now: naive UTC datetime (default: the current time).
    :param marker: the ``resource_id`` of the last item of the previous
        page.
    :returns: ``(items, more)``: items are the resource dicts of
        ``list_resources`` plus ``"since"`` (when the current task state
        was entered), ``"stuck_for_us"``, ``"operation"`` (the open
        operation dict, see ``timings``, or None), ``"last_step"``
        (``{"at", "event_type", "service", "host", "message_id"}`` of the
        last notification) and ``"waiting_on"`` (see
        ``states.waiting_on``).
    :raises exception.MarkerNotFound: the marker is not a stuck resource.
    """
    now = now or timestamps.utcnow()
    now_us = times.to_us(now)
    cutoff = now_us - int(older_than * 1000000)
    if use_open_work:
        return _stuck_page(connection, project_id, cutoff, now_us, marker,
                           limit)
    candidates = {}
    in_task = _scoped(sa.select(RESOURCES).where(
        RESOURCES.c.task_state.is_not(None),
        RESOURCES.c.task_since_us < cutoff), RESOURCES, project_id)
    for row in connection.execute(in_task):
        candidates[row.resource_id] = row
    ops = OPERATIONS
    # One read of the open operations older than the threshold: those
    # naming a resource make it a candidate, the others are creates whose
    # resource has no id yet (``_unnamed_create``).
    old_open = _scoped(sa.select(ops).where(
        ops.c.end_us.is_(None), ops.c.start_us < cutoff), ops, project_id)
    named = set()
    unnamed = []
    for op in connection.execute(old_open):
        if op.resource_id is not None:
            named.add(op.resource_id)
        elif op.request_id:
            unnamed.append(op)
    without_task = sorted(named - set(candidates))
    for chunk in chunking.chunks(without_task):
        for row in connection.execute(_scoped(sa.select(RESOURCES).where(
                RESOURCES.c.resource_id.in_(chunk),
                sa.or_(RESOURCES.c.task_us.is_(None),
                       RESOURCES.c.task_state.is_(None))),
                RESOURCES, project_id)):
            candidates[row.resource_id] = row
    open_ops = _open_operations(connection, project_id, sorted(candidates))
    scheduled = _scheduled(connection, candidates.values())
    items = []
    for row in candidates.values():
        open_op = open_ops.get(row.resource_id)
        if row.task_us is not None and row.task_state is not None:
            since_us = row.task_since_us
        elif open_op is not None and (row.task_us is None
                                      or open_op.start_us >= row.task_us):
            # Without any task state reported since the operation
            # started, the resource has been in its state since then.
            since_us = open_op.start_us
        else:
            continue
        if since_us is None or since_us >= cutoff:
            continue
        items.append(_stuck_item(row, open_op, since_us, now_us, scheduled))
    items.extend(_unnamed_create(op, now_us) for op in unnamed)
    items.sort(key=lambda i: (-i['stuck_for_us'], stuck_key(i)))
    if marker is not None:
        keys = [stuck_key(i) for i in items]
        if marker not in keys:
            raise exception.MarkerNotFound(marker=marker)
        items = items[keys.index(marker) + 1:]
    return items[:limit], len(items) > limit


def _scheduled(connection, rows):
    """The state requests of resources rows in "scheduling" whose
    scheduling ended well."""
    return _scheduled_requests(connection, [
        row.state_request_id for row in rows
        if row.task_state == 'scheduling' and row.state_request_id])


def _stuck_item(row, open_op, since_us, now_us, scheduled):
    """The stuck item of a ``resources`` row stuck since ``since_us``."""
    operation = (timings.operation_item(open_op, now_us)
                 if open_op is not None else None)
    # The open operation's host is the compute manager's own; the
    # state's publisher may be nova-api or nova-conductor.
    host = (operation['host'] if operation and operation['host']
            else row.state_host)
    item = _resource_item(row)
    item.update(
        since=times.from_us(since_us),
        stuck_for_us=now_us - since_us,
        operation=operation,
        last_step={'at': times.from_us(row.last_us),
                   'event_type': row.last_event_type,
                   'service': row.last_service,
                   'host': row.last_host,
                   'message_id': row.last_message_id},
        waiting_on=states.waiting_on(
            row.task_state,
            operation['operation'] if operation else None, host,
            scheduled=row.state_request_id in scheduled))
    return item


def _stuck_page(connection, project_id, cutoff, now_us, marker, limit):
    """``list_stuck`` from the ``open_work`` rows: the page's rows from
    one index range, then the resources and operations of those only."""
    table = OPEN_WORK
    if project_id is None:
        since = table.c.since_us
        query = sa.select(table).where(since < cutoff)
    else:
        # A project's list sees only its operations (``scoped_since_us``).
        since = table.c.scoped_since_us
        query = sa.select(table).where(table.c.project_id == project_id,
                                       since < cutoff)
    order = (since, table.c.item_key, table.c.operation, table.c.attempt)
    if marker is not None:
        found = connection.execute(query.where(
            table.c.item_key == marker).order_by(*order).limit(1)).first()
        if found is None:
            raise exception.MarkerNotFound(marker=marker)
        last = (found.since_us if project_id is None
                else found.scoped_since_us, found.item_key,
                found.operation, found.attempt)
        query = query.where(sa.tuple_(*order) > sa.tuple_(
            *[sa.literal(value) for value in last]))
    rows, more = queries.page(connection.execute(
        query.order_by(*order).limit(limit + 1)), limit)
    resource_ids = sorted({row.resource_id for row in rows
                           if row.kind != open_work.CREATE})
    resources = {}
    for chunk in chunking.chunks(resource_ids):
        for row in connection.execute(_scoped(sa.select(RESOURCES).where(
                RESOURCES.c.resource_id.in_(chunk)), RESOURCES,
                project_id)):
            resources[row.resource_id] = row
    open_ops = _open_operations(connection, project_id, resource_ids)
    creates = _create_operations(connection, [
        row for row in rows if row.kind == open_work.CREATE])
    scheduled = _scheduled(connection, resources.values())
    items = []
    for row in rows:
        since_us = row.since_us if project_id is None else row.scoped_since_us
        if row.kind == open_work.CREATE:
            op = creates.get((row.request_id, row.operation, row.attempt))
            if op is not None:
                items.append(_unnamed_create(op, now_us))
            continue
        resource = resources.get(row.resource_id)
        if resource is None:
            # Purged since: the next batch or purge drops the row.
            continue
        items.append(_stuck_item(resource, open_ops.get(row.resource_id),
                                 since_us, now_us, scheduled))
    return items, more


def _create_operations(connection, rows):
    """{(request, operation, attempt): operations row} of the creates of
    ``open_work`` rows."""
    ops = OPERATIONS
    found = {}
    for chunk in chunking.chunks(sorted({row.request_id for row in rows})):
        # By request alone, the rest checked here: given the other
        # conditions, MariaDB reads every operation that has them (or
        # every operation with a request, for scope_id '') instead.
        for op in connection.execute(sa.select(ops).where(
                ops.c.request_id.in_(chunk))):
            if (op.scope_id == '' and op.resource_id is None
                    and op.end_us is None and op.start_us is not None):
                found[op.request_id, op.operation, op.attempt] = op
    return found


def stuck_key(item):
    """The key of a stuck item, its marker: the resource id, or
    ``request:<request id>`` for a create whose resource has no id yet."""
    if item['resource_id'] is not None:
        return item['resource_id']
    return 'request:%s' % item['operation']['request_id']


def _unnamed_create(op, now_us):
    """The stuck item of an open operation that names no resource: a
    create whose start carries no id yet (neutron's ``port.create.start``
    holds the request body only), paired by its request, that never
    ended. Its resource is unknown until the end names it; the item says
    what kind, whose, and which request."""
    at = times.from_us(op.start_us)
    return {
        'resource_id': None, 'resource_type': op.resource_type,
        'project_id': op.project_id, 'first_seen': at, 'last_seen': at,
        'vm_state': None, 'task_state': None, 'power_state': None,
        'status': None, 'state_at': None, 'state_event_type': None,
        'state_request_id': op.request_id, 'state_host': op.host,
        'since': at, 'stuck_for_us': now_us - op.start_us,
        'operation': timings.operation_item(op, now_us),
        'last_step': {'at': at, 'event_type': op.operation + '.start',
                      'service': op.service, 'host': op.host,
                      'message_id': op.start_message_id},
        'waiting_on': states.waiting_on(None, op.operation, op.host),
    }


def _open_operations(connection, project_id, resource_ids):
    """The most recent open operation row of each resource."""
    ops = OPERATIONS
    found = {}
    for chunk in chunking.chunks(resource_ids):
        query = _scoped(sa.select(*timings._COLUMNS).where(
            ops.c.resource_id.in_(chunk), ops.c.end_us.is_(None),
            ops.c.start_us.is_not(None)), ops, project_id)
        for row in connection.execute(query):
            current = found.get(row.resource_id)
            if current is None or (row.start_us, row.id) > (
                    current.start_us, current.id):
                found[row.resource_id] = row
    return found


def _scheduled_requests(connection, request_ids):
    """The requests among ``request_ids`` whose scheduling ended well."""
    ops = OPERATIONS
    found = set()
    for chunk in chunking.chunks(sorted(set(request_ids))):
        found.update(connection.execute(sa.select(ops.c.request_id).where(
            ops.c.request_id.in_(chunk),
            ops.c.operation == 'scheduler.select_destinations',
            ops.c.outcome == 'success')).scalars())
    return found
