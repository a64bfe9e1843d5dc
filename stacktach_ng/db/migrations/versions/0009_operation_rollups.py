"""Roll-ups by hour and by day for the month's questions.

* ``operation_rollups`` replaces ``operation_hours`` and
  ``operation_hour_members``, and ``request_rollups`` holds the latency
  of the requests, both kept by a roller; ``rollup_dirty_hours`` lists
  the hours whose cells are behind their operations and requests.
* ``summary_rollups``: the notification and error counts of every
  project per hour and per day, per event type, service and host, with
  the first and last time each was seen (summary handler). They are
  counted here from the stored notifications, in one streamed read.

The old cells (per hour, operation, host, service and project) were as
many as the operations they summarised; the new ones drop the project,
add cells of every host of an operation and cells of whole days, so a
month's timing summary reads a few thousand cells. Every hour that has
ended operations is marked dirty here: the listener's roller (or
``stacktach-ng-manage rollup``) computes their cells in the background,
and until then the queries read those hours' operations. The
``rollups`` handler is now a default one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import datetime
import time

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}
_HOUR_US = 3600 * 1000000
_DAY_US = 24 * _HOUR_US
_EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)
# As the summary handler counted them when this revision was written.
_ERROR_PRIORITIES = ('ERROR', 'CRITICAL')


def _id():
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                     primary_key=True, autoincrement=True)


def _cell_columns():
    """What a roll-up cell holds, operations' and requests' alike."""
    return [sa.Column('count', sa.Integer, nullable=False),
            sa.Column('errors', sa.Integer, nullable=False),
            sa.Column('measured', sa.Integer, nullable=False),
            sa.Column('min_us', sa.BigInteger),
            sa.Column('max_us', sa.BigInteger),
            sa.Column('sketch', sa.Text, nullable=False)]


def upgrade():
    op.drop_table('operation_hour_members')
    op.drop_table('operation_hours')
    op.create_table(
        'operation_rollups',
        _id(),
        sa.Column('width_us', sa.BigInteger, nullable=False),
        sa.Column('all_hosts', sa.Boolean, nullable=False),
        sa.Column('bucket_us', sa.BigInteger, nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        sa.Column('service', sa.String(64), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        *_cell_columns(),
        sa.UniqueConstraint('width_us', 'all_hosts', 'bucket_us',
                            'operation', 'service', 'host',
                            name='uq_operation_rollups_key'),
        **_MYSQL)
    op.create_table(
        'request_rollups',
        _id(),
        sa.Column('width_us', sa.BigInteger, nullable=False),
        sa.Column('bucket_us', sa.BigInteger, nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        *_cell_columns(),
        sa.UniqueConstraint('width_us', 'bucket_us', 'operation',
                            name='uq_request_rollups_key'),
        **_MYSQL)
    dirty = op.create_table(
        'rollup_dirty_hours',
        sa.Column('hour_us', sa.BigInteger, primary_key=True,
                  autoincrement=False),
        sa.Column('version', sa.Integer, nullable=False),
        sa.Column('changed_us', sa.BigInteger, nullable=False),
        **_MYSQL)
    # Every hour with an ended operation or a started request is to be
    # rolled up. One read of each time index; the hours are few (24 a
    # day).
    hours = set()
    for table, column in (('operations', 'end_us'),
                          ('requests', 'first_us')):
        at = sa.table(table, sa.column(column, sa.BigInteger)).c[column]
        hours.update(op.get_bind().execute(
            sa.select(at - at % _HOUR_US).where(at.is_not(None))
            .distinct()).scalars())
    now_us = int(time.time() * 1000000)
    rows = [{'hour_us': int(value), 'version': 1, 'changed_us': now_us}
            for value in sorted(hours)]
    if rows:
        op.bulk_insert(dirty, rows)
    _create_summary_rollups()


def _create_summary_rollups():
    rollups = op.create_table(
        'summary_rollups',
        _id(),
        sa.Column('width_us', sa.BigInteger, nullable=False),
        sa.Column('bucket_us', sa.BigInteger, nullable=False),
        sa.Column('dimension', sa.String(16), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('notifications', sa.BigInteger, nullable=False),
        sa.Column('errors', sa.BigInteger, nullable=False),
        sa.Column('first_us', sa.BigInteger, nullable=False),
        sa.Column('last_us', sa.BigInteger, nullable=False),
        sa.UniqueConstraint('width_us', 'bucket_us', 'dimension', 'name',
                            name='uq_summary_rollups_key'),
        **_MYSQL)
    notifications = sa.table(
        'notifications', sa.column('generated_at', sa.DateTime),
        sa.column('event_type', sa.String), sa.column('priority', sa.String),
        sa.column('service', sa.String), sa.column('host', sa.String))
    cells = {}
    # Streamed (a server-side cursor where the driver has one): the
    # table may hold millions of rows. The option is the statement's, so
    # that the connection's later statements are not streamed.
    result = op.get_bind().execute(sa.select(
        notifications.c.generated_at, notifications.c.event_type,
        notifications.c.priority, notifications.c.service,
        notifications.c.host).execution_options(
            stream_results=True, yield_per=10000))
    for generated_at, event_type, priority, service, host in result:
        at = (generated_at - _EPOCH) // _MICROSECOND
        failed = (priority in _ERROR_PRIORITIES
                  or event_type.endswith('.error'))
        for width in (_HOUR_US, _DAY_US):
            bucket = at - at % width
            for dimension, name in (('event_type', event_type),
                                    ('service', service or ''),
                                    ('host', host or '')):
                cell = cells.get((width, bucket, dimension, name))
                if cell is None:
                    cell = cells[width, bucket, dimension, name] = [
                        0, 0, at, at]
                cell[0] += 1
                cell[1] += failed
                cell[2] = min(cell[2], at)
                cell[3] = max(cell[3], at)
    rows = [{'width_us': key[0], 'bucket_us': key[1], 'dimension': key[2],
             'name': key[3], 'notifications': value[0],
             'errors': value[1], 'first_us': value[2], 'last_us': value[3]}
            for key, value in cells.items()]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(rollups, rows[start:start + 5000])

