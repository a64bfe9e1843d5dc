"""What is open now: the ``open_work`` rows, from which the stuck list
reads one index range (``queries.lifecycles.list_stuck``).

A row is derived, not incremented: it is a function of one ``resources``
row and its open operations (``resource_work``), or of one open
operation that names no resource yet (``create_work``), as the
``lifecycle`` and ``timings`` handlers left them in the same
transaction. Each batch recomputes the rows of what it touched and
writes the ones that changed:

* the resources it names (their state and task summary changed);
* the resources its operations name now (an operation opened, ended or
  joined a resource), and the resources whose row was set by an
  operation of one of its requests (the operation may have left them:
  an operation's resource is the least one its notifications name, and
  a reschedule renumbers the attempts of a key);
* the creates of its operation keys.

So a shuffled, duplicated replay or a ``rebuild`` writes the same rows,
as the ``resources`` and ``operations`` rows are the same. The rules are
those of the stuck list (see its docstring):

* a resource that reports task states and is in one (``task_us`` and
  ``task_state`` set) has been open since it entered it
  (``task_since_us``);
* otherwise, since its latest open operation started (operations that
  started and did not end), unless a later report said it had no task;
* an open operation that names no resource (a create whose start holds
  the request only) has been open since it started.

The list of one project sees only that project's operations, so a
resource's row keeps both sinces (``since_us`` and ``scoped_since_us``).

Concurrent batches recomputing one row both delete and insert it: the
unique key makes the later one fail and retry, and the retry reads the
other's rows. The resources rows recomputed are read with a lock, so two
batches recompute one resource in turn.
"""

import collections

import sqlalchemy as sa

from stacktach_ng.analyses import timings
from stacktach_ng.db import chunking
from stacktach_ng.db import models

OPEN_WORK = models.analyses.OpenWork.__table__
RESOURCES = models.analyses.Resource.__table__
OPERATIONS = timings.OPERATIONS

#: What keeps an item open (``kind``): its task state, an open operation
#: of the resource, an open create that names no resource yet.
TASK, OPERATION, CREATE = 0, 1, 2

#: An open operation, as ``resource_work`` needs it.
OpenOperation = collections.namedtuple(
    'OpenOperation', ('start_us', 'id', 'request_id', 'project_id'))

_COLUMNS = ('item_key', 'kind', 'operation', 'attempt', 'resource_id',
            'request_id', 'project_id', 'since_us', 'scoped_since_us',
            'via_request_id', 'scoped_via_request_id')


def create_key(request_id):
    """The stuck item's key of a create that names no resource yet."""
    return 'request:%s' % request_id


def _latest(operations):
    """The latest-started of ``operations`` (ties: the greater id, as the
    stuck list picks the operation it shows), or None."""
    return max(operations, key=lambda op: (op.start_us, op.id),
               default=None)


def _open_since(resource, latest):
    """(since, via request) of a resource without a current task state
    given its latest open operation, or (None, None)."""
    if latest is None:
        return None, None
    if resource['task_us'] is not None and latest.start_us < resource[
            'task_us']:
        # A report after it said there was no task: nothing is at work.
        return None, None
    return latest.start_us, latest.request_id


def resource_work(resource, open_operations):
    """The ``open_work`` row of a resource, or None when nothing of it is
    open.

    :param resource: mapping with ``resource_id``, ``project_id``,
        ``task_state``, ``task_us`` and ``task_since_us`` (the
        ``resources`` row).
    :param open_operations: ``OpenOperation`` of the operations that name
        the resource, started and did not end.
    """
    row = dict.fromkeys(_COLUMNS)
    row.update(item_key=resource['resource_id'], operation='', attempt=0,
               resource_id=resource['resource_id'],
               project_id=resource['project_id'])
    if resource['task_us'] is not None and resource['task_state'] is not None:
        if resource['task_since_us'] is None:
            return None
        row.update(kind=TASK, since_us=resource['task_since_us'],
                   scoped_since_us=resource['task_since_us'])
        return row
    open_operations = list(open_operations)
    since, via = _open_since(resource, _latest(open_operations))
    scoped, scoped_via = (None, None)
    if resource['project_id'] is not None:
        scoped, scoped_via = _open_since(resource, _latest(
            op for op in open_operations
            if op.project_id == resource['project_id']))
    if since is None and scoped is None:
        return None
    row.update(kind=OPERATION, since_us=since, scoped_since_us=scoped,
               via_request_id=via, scoped_via_request_id=scoped_via)
    return row


def create_work(operation):
    """The ``open_work`` row of an ``operations`` row (a mapping), or None
    unless it is an open create that names no resource yet."""
    if (operation['resource_id'] is not None or not operation['request_id']
            or operation['start_us'] is None
            or operation['end_us'] is not None):
        return None
    row = dict.fromkeys(_COLUMNS)
    row.update(item_key=create_key(operation['request_id']), kind=CREATE,
               operation=operation['operation'],
               attempt=operation['attempt'],
               request_id=operation['request_id'],
               project_id=operation['project_id'],
               since_us=operation['start_us'],
               scoped_since_us=operation['start_us'])
    return row


# -- reading and writing -------------------------------------------------

def _locking(connection, query, update=False):
    if connection.dialect.name == 'mysql' and not update:
        # A locking read sees the latest committed rows, not the
        # transaction's snapshot.
        return query.with_for_update(read=True)
    if update:
        return query.with_for_update()
    return query


def _stored(connection, condition):
    """{(item_key, operation, attempt): row dict} of the stored rows that
    match ``condition``, each with its ``id``."""
    table = OPEN_WORK
    found = {}
    query = sa.select(table.c.id, *[table.c[name] for name in _COLUMNS]
                      ).where(condition)
    for row in connection.execute(query):
        item = dict(row._mapping)
        found[item['item_key'], item['operation'], item['attempt']] = item
    return found


def _write(connection, before, after):
    """Replace the rows of ``before`` (stored, with their ids) by those of
    ``after`` (wanted), both {key: row dict}, writing only what changed;
    return how many rows were deleted or inserted."""
    table = OPEN_WORK
    stale = sorted(row['id'] for key, row in before.items()
                   if not _same(row, after.get(key)))
    added = [after[key] for key in sorted(after)
             if not _same(before.get(key), after[key])]
    # One statement for all the stale rows: most batches change the row
    # of every resource whose task state moved, and a statement a row
    # was most of this handler's round trips.
    for chunk in chunking.chunks(stale):
        connection.execute(table.delete().where(table.c.id.in_(chunk)))
    for chunk in chunking.chunks(added):
        connection.execute(table.insert(), chunk)
    return len(stale) + len(added)


def _same(stored, wanted):
    """Whether a stored row (with its id) holds what ``wanted`` does."""
    if stored is None or wanted is None:
        return stored is wanted
    return all(stored[name] == wanted[name] for name in _COLUMNS)


def refresh_resources(connection, resource_ids, floor_us=None):
    """Recompute the rows of ``resource_ids``; return how many rows were
    written or deleted.

    :param floor_us: recompute as if the operations that started before
        it and the resources last seen before it were gone (the purge,
        which deletes them after this).
    """
    table = OPEN_WORK
    written = 0
    for chunk in chunking.chunks(sorted(set(resource_ids))):
        resources = {}
        query = sa.select(
            RESOURCES.c.resource_id, RESOURCES.c.project_id,
            RESOURCES.c.task_state, RESOURCES.c.task_us,
            RESOURCES.c.task_since_us, RESOURCES.c.last_us).where(
            RESOURCES.c.resource_id.in_(chunk)).order_by(
            RESOURCES.c.resource_id)
        for row in connection.execute(_locking(connection, query,
                                               update=True)):
            if floor_us is None or row.last_us >= floor_us:
                resources[row.resource_id] = row._mapping
        ops = OPERATIONS
        query = sa.select(ops.c.resource_id, ops.c.start_us, ops.c.id,
                          ops.c.request_id, ops.c.project_id).where(
            ops.c.resource_id.in_(chunk), ops.c.end_us.is_(None),
            ops.c.start_us.is_not(None))
        if floor_us is not None:
            query = query.where(ops.c.start_us >= floor_us)
        open_ops = collections.defaultdict(list)
        for row in connection.execute(_locking(connection, query)):
            open_ops[row.resource_id].append(OpenOperation(
                row.start_us, row.id, row.request_id, row.project_id))
        after = {}
        for resource_id, resource in resources.items():
            row = resource_work(resource, open_ops.get(resource_id, ()))
            if row is not None:
                after[row['item_key'], '', 0] = row
        before = _stored(connection, sa.and_(
            table.c.item_key.in_(chunk), table.c.kind != CREATE))
        written += _write(connection, before, after)
    return written


def operation_rows(connection, keys):
    """The ``operations`` rows (every attempt) of operation keys (scope,
    request, operation)."""
    ops = OPERATIONS
    found = []
    for query in timings.of_keys(
            ops, keys, ops.c.attempt, ops.c.resource_id, ops.c.project_id,
            ops.c.start_us, ops.c.end_us):
        for row in connection.execute(_locking(connection, query)):
            if (row.scope_id, row.request_id, row.operation) in keys:
                found.append(row._mapping)
    return found


def _named(records):
    found = set()
    for record in records:
        for resource_id in (record.resource_ids
                            or (record.row['resource_id'],)):
            if resource_id is not None:
                found.add(resource_id)
    return found


def _via(connection, requests):
    """The resources whose row was set by an operation of ``requests``."""
    table = OPEN_WORK
    found = set()
    for chunk in chunking.chunks(sorted(requests)):
        found.update(connection.execute(sa.select(table.c.item_key).where(
            table.c.kind == OPERATION, sa.or_(
                table.c.via_request_id.in_(chunk),
                table.c.scoped_via_request_id.in_(chunk)))).scalars())
    return found


def update(connection, records):
    """Recompute the rows a batch touched (see the module doc)."""
    keys = timings.touched_keys(records)
    operations = operation_rows(connection, keys) if keys else []
    resources = _named(records)
    resources.update(op['resource_id'] for op in operations
                     if op['resource_id'] is not None)
    resources.update(_via(connection, {key[1] for key in keys if key[1]}))
    refresh_resources(connection, resources)
    refresh_creates(connection, keys, operations)


def refresh_creates(connection, keys, operations):
    """Recompute the create rows of operation keys from their
    ``operations`` rows."""
    table = OPEN_WORK
    # Creates are keyed by request: keys without one have none.
    keys = sorted(key for key in keys if key[1])
    after = {}
    for op in operations:
        row = create_work(op)
        if row is not None:
            after[row['item_key'], row['operation'], row['attempt']] = row
    written = 0
    for chunk in chunking.chunks(keys):
        wanted = {(create_key(request), operation)
                  for _scope, request, operation in chunk}
        before = {key: row for key, row in _stored(connection, sa.and_(
            table.c.kind == CREATE, table.c.request_id.in_(
                sorted({key[1] for key in chunk})))).items()
            if key[:2] in wanted}
        written += _write(connection, before, {
            key: row for key, row in after.items() if key[:2] in wanted})
    return written


def purge(connection, before_us, batch_size):
    """Delete or recompute, at most ``batch_size`` at a time, the rows
    that the purge of resources last seen and operations started before
    ``before_us`` changes; return how many were.

    Rows whose since is later stay: what set it stays. A resource in a
    task state stays open while its ``resources`` row stays.
    """
    table = OPEN_WORK
    rows = connection.execute(
        sa.select(table.c.id, table.c.kind, table.c.item_key).where(
            table.c.kind != TASK, sa.or_(
                table.c.since_us < before_us,
                table.c.scoped_since_us < before_us))
        .order_by(table.c.id).limit(batch_size)).all()
    if len(rows) < batch_size:
        resources = RESOURCES
        rows += connection.execute(
            sa.select(table.c.id, table.c.kind, table.c.item_key)
            .select_from(table.outerjoin(
                resources, resources.c.resource_id == table.c.item_key))
            .where(table.c.kind == TASK, table.c.since_us < before_us,
                   sa.or_(resources.c.last_us < before_us,
                          resources.c.resource_id.is_(None)))
            .order_by(table.c.id).limit(batch_size - len(rows))).all()
    if not rows:
        return 0
    gone = [row.id for row in rows if row.kind != OPERATION]
    for chunk in chunking.chunks(gone):
        connection.execute(table.delete().where(table.c.id.in_(chunk)))
    refresh_resources(connection, [row.item_key for row in rows
                                   if row.kind == OPERATION],
                      floor_us=before_us)
    return len(rows)
