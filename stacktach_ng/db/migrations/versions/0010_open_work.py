"""What is open now, for the stuck list: ``open_work`` (open_work
handler), one row per resource in a task state or with an open
operation and per open create that names no resource yet. The upgrade
fills it from the stored ``resources`` and ``operations`` rows (one read
of each, by resource).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def _identifier(length):
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset='utf8mb4', collation='utf8mb4_bin'),
        'mysql')


def _sorted_identifier(length):
    return _identifier(length).with_variant(
        postgresql.VARCHAR(length, collation='C'), 'postgresql')


def upgrade():
    op.create_table(
        'open_work',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                  primary_key=True, autoincrement=True),
        sa.Column('item_key', _sorted_identifier(300), nullable=False),
        sa.Column('kind', sa.SmallInteger, nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        sa.Column('attempt', sa.SmallInteger, nullable=False),
        sa.Column('resource_id', _identifier(255)),
        sa.Column('request_id', _identifier(255)),
        sa.Column('project_id', _identifier(64)),
        sa.Column('since_us', sa.BigInteger),
        sa.Column('scoped_since_us', sa.BigInteger),
        sa.Column('via_request_id', _identifier(255)),
        sa.Column('scoped_via_request_id', _identifier(255)),
        sa.UniqueConstraint('item_key', 'operation', 'attempt',
                            name='uq_open_work_key'),
        **_MYSQL)
    for name, columns in (
            ('ix_open_work_since', ['since_us', 'item_key', 'operation',
                                    'attempt']),
            ('ix_open_work_project', ['project_id', 'scoped_since_us',
                                      'item_key', 'operation', 'attempt']),
            ('ix_open_work_scoped', ['scoped_since_us']),
            ('ix_open_work_request', ['request_id']),
            ('ix_open_work_via', ['via_request_id']),
            ('ix_open_work_scoped_via', ['scoped_via_request_id'])):
        op.create_index(name, 'open_work', columns)
    _fill(op.get_bind())


# The fill, written out rather than imported (a migration must keep doing
# what it did when the code it ran with has changed): the rows the
# open_work handler derives (``analyses.open_work``) from the stored
# resources and operations.
_TASK, _OPERATION, _CREATE = 0, 1, 2
_CHUNK = 500

_OPEN_WORK = sa.table(
    'open_work', *[sa.column(name) for name in (
        'item_key', 'kind', 'operation', 'attempt', 'resource_id',
        'request_id', 'project_id', 'since_us', 'scoped_since_us',
        'via_request_id', 'scoped_via_request_id')])
_RESOURCES = sa.table(
    'resources', *[sa.column(name) for name in (
        'resource_id', 'project_id', 'task_state', 'task_us',
        'task_since_us')])
_OPERATIONS = sa.table(
    'operations', *[sa.column(name) for name in (
        'id', 'resource_id', 'request_id', 'operation', 'attempt',
        'project_id', 'start_us', 'end_us')])


def _row(**values):
    row = dict.fromkeys(c.name for c in _OPEN_WORK.c)
    row.update(operation='', attempt=0)
    row.update(values)
    return row


def _fill(connection):
    resources, ops = _RESOURCES, _OPERATIONS
    in_task = sa.and_(resources.c.task_us.is_not(None),
                      resources.c.task_state.is_not(None))
    rows = [_row(item_key=r.resource_id, kind=_TASK,
                 resource_id=r.resource_id, project_id=r.project_id,
                 since_us=r.task_since_us, scoped_since_us=r.task_since_us)
            for r in connection.execute(sa.select(resources).where(
                in_task, resources.c.task_since_us.is_not(None)))]
    # The open operations of the resources in no task state, by
    # resource.
    query = sa.select(
        ops.c.resource_id, ops.c.start_us, ops.c.id, ops.c.request_id,
        ops.c.project_id, resources.c.project_id.label('owner'),
        resources.c.task_us).select_from(ops.join(
            resources, resources.c.resource_id == ops.c.resource_id)).where(
        ops.c.end_us.is_(None), ops.c.start_us.is_not(None),
        sa.not_(in_task))
    by_resource = {}
    for op_row in connection.execute(query):
        by_resource.setdefault(op_row.resource_id, []).append(op_row)
    for resource_id in sorted(by_resource):
        rows.extend(_open_operation_row(resource_id,
                                        by_resource[resource_id]))
    rows += [_row(item_key='request:%s' % o.request_id, kind=_CREATE,
                  operation=o.operation, attempt=o.attempt,
                  request_id=o.request_id, project_id=o.project_id,
                  since_us=o.start_us, scoped_since_us=o.start_us)
             for o in connection.execute(sa.select(ops).where(
                 ops.c.resource_id.is_(None), ops.c.request_id != '',
                 ops.c.start_us.is_not(None), ops.c.end_us.is_(None)))]
    for start in range(0, len(rows), _CHUNK):
        connection.execute(_OPEN_WORK.insert(), rows[start:start + _CHUNK])


def _since(task_us, operations):
    """(since, via request) from the latest-started operation (ties: the
    greater id), unless a later report said there was no task."""
    latest = max(operations, key=lambda o: (o.start_us, o.id),
                 default=None)
    if latest is None or (task_us is not None and latest.start_us < task_us):
        return None, None
    return latest.start_us, latest.request_id


def _open_operation_row(resource_id, operations):
    first = operations[0]
    owner, task_us = first.owner, first.task_us
    since, via = _since(task_us, operations)
    scoped, scoped_via = None, None
    if owner is not None:
        scoped, scoped_via = _since(task_us, [
            o for o in operations if o.project_id == owner])
    if since is None and scoped is None:
        return []
    return [_row(item_key=resource_id, kind=_OPERATION,
                 resource_id=resource_id, project_id=owner, since_us=since,
                 scoped_since_us=scoped, via_request_id=via,
                 scoped_via_request_id=scoped_via)]
