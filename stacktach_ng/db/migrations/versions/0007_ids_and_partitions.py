"""Binary ids on MySQL, a table of message ids, notifications partitioned
by day on PostgreSQL.

* ``notification_ids`` holds every stored message id once, with the
  notification's time; the unique key of ``notifications.message_id``
  moves there (a partitioned table cannot have a unique key without its
  partition key; see the models). It is filled from ``notifications``.
* MySQL/MariaDB: the id columns compare byte for byte (``utf8mb4_bin``):
  ids ``True`` and ``true`` were one key under the default
  case-insensitive collation. Each table is rebuilt by its ALTER.
* PostgreSQL: ``notifications`` becomes a table partitioned by range of
  ``generated_at``: the old table is attached as its first partition,
  ``notifications_history`` (everything before tomorrow, UTC), next to a
  default partition; the day partitions from tomorrow on are created by
  ``stacktach-ng-manage db upgrade`` and the services
  (``stacktach_ng.db.partitions``). Attaching needs on the old table a
  unique index on (id, generated_at) and an index on message_id: built
  here unless the operator built them beforehand, online (see the
  upgrade guide); rows dated from tomorrow on move to the new partitions.

The services must be stopped while it runs (see the upgrade guide for
how long).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}

# Written out rather than imported: a migration must keep doing what it
# did when the code it ran with has changed.
_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

# (column, length, nullable) of the id columns, per table.
_ID_COLUMNS = {
    'error_events': (
        ('message_id', 128, False), ('request_id', 255, True),
        ('resource_id', 255, True), ('project_id', 64, True),
    ),
    'notifications': (
        ('message_id', 128, False), ('request_id', 255, True),
        ('global_request_id', 255, True), ('project_id', 64, True),
        ('user_id', 64, True), ('resource_id', 255, True),
    ),
    'operations': (
        ('scope_id', 255, False), ('request_id', 255, False),
        ('resource_id', 255, True), ('project_id', 64, True),
        ('start_message_id', 128, True), ('end_message_id', 128, True),
    ),
    'profiler_spans': (
        ('trace_id', 255, False), ('base_id', 255, True),
        ('parent_id', 255, True), ('project_id', 64, True),
        ('request_id', 255, True),
    ),
    'rejected_messages': (
        ('message_id', 128, True),
    ),
    'requests': (
        ('request_id', 255, False), ('global_request_id', 255, True),
        ('project_id', 64, True), ('first_message_id', 128, False),
    ),
    'resources': (
        ('resource_id', 255, False), ('project_id', 64, True),
        ('state_message_id', 128, True), ('state_request_id', 255, True),
        ('last_message_id', 128, True), ('task_message_id', 128, True),
        ('task_break_message_id', 128, True),
        ('task_since_message_id', 128, True),
    ),
    'operation_hours': (
        ('project_id', 64, False),
    ),
    'operation_hour_members': (
        ('scope_id', 255, False), ('request_id', 255, False),
        ('project_id', 64, False),
    ),
    'summary_counts': (
        ('project_id', 64, False),
    ),
    'usage_deletes': (
        ('resource_id', 64, False), ('project_id', 64, True),
        ('message_id', 128, False),
    ),
    'usage_exists': (
        ('message_id', 128, False), ('resource_id', 64, False),
        ('project_id', 64, True), ('user_id', 64, True),
        ('flavor_id', 64, True), ('instance_type_id', 64, True),
        ('image_id', 64, True),
    ),
    'usage_launches': (
        ('instance_id', 64, False), ('project_id', 64, True),
        ('user_id', 64, True), ('flavor_id', 64, True),
        ('instance_type_id', 64, True), ('image_id', 64, True),
        ('message_id', 128, False),
    ),
    'usage_missing': (
        ('instance_id', 64, False), ('project_id', 64, True),
    ),
    'usage_storage': (
        ('resource_id', 64, False), ('project_id', 64, True),
        ('message_id', 128, False),
    ),
}

# The indexes of notifications (0001), re-created on the partitioned table.
_NOTIFICATION_INDEXES = (
    ('ix_notifications_generated_at', 'generated_at'),
    ('ix_notifications_event_type', 'event_type, generated_at'),
    ('ix_notifications_request_id', 'request_id'),
    ('ix_notifications_global_request_id', 'global_request_id'),
    ('ix_notifications_resource', 'resource_id, generated_at'),
    ('ix_notifications_project', 'project_id, generated_at'),
    ('ix_notifications_host', 'host, generated_at'),
    ('ix_notifications_service', 'service, generated_at'),
)

# The columns of notifications after ``id`` (0001).
_NOTIFICATION_COLUMNS = '''
    message_id VARCHAR(128) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    priority VARCHAR(16) NOT NULL,
    publisher_id VARCHAR(255),
    service VARCHAR(64),
    host VARCHAR(255),
    generated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    received_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    request_id VARCHAR(255),
    global_request_id VARCHAR(255),
    project_id VARCHAR(64),
    user_id VARCHAR(64),
    resource_type VARCHAR(64),
    resource_id VARCHAR(255),
    vm_state VARCHAR(32),
    old_vm_state VARCHAR(32),
    task_state VARCHAR(64),
    old_task_state VARCHAR(64),
    power_state VARCHAR(32),
    object_name VARCHAR(128),
    object_version VARCHAR(16),
    payload TEXT NOT NULL,
    context TEXT NOT NULL'''


def _id_type():
    return sa.String(128).with_variant(
        mysql.VARCHAR(128, charset='utf8mb4', collation='utf8mb4_bin'),
        'mysql')


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'mysql':
        _binary_ids()
    op.create_table(
        'notification_ids',
        sa.Column('message_id', _id_type(), primary_key=True),
        sa.Column('generated_at', _DATETIME, nullable=False),
        **_MYSQL)
    op.execute('INSERT INTO notification_ids (message_id, generated_at) '
               'SELECT message_id, generated_at FROM notifications')
    op.create_index('ix_notification_ids_generated_at', 'notification_ids',
                    ['generated_at'])
    if dialect == 'postgresql':
        _partition_notifications()
    else:
        with op.batch_alter_table('notifications') as batch:
            batch.drop_constraint('uq_notifications_message_id',
                                  type_='unique')
            batch.create_index('ix_notifications_message_id',
                               ['message_id'])


def _binary_ids():
    for table, columns in _ID_COLUMNS.items():
        op.execute('ALTER TABLE %s %s' % (table, ', '.join(
            'MODIFY %s VARCHAR(%d) CHARACTER SET utf8mb4 COLLATE '
            'utf8mb4_bin %s' % (name, length,
                                'NULL' if nullable else 'NOT NULL')
            for name, length, nullable in columns)))


def _partition_notifications():
    connection = op.get_bind()
    # The old table becomes the history partition; its names make way.
    op.execute('ALTER TABLE notifications RENAME TO notifications_history')
    op.execute('ALTER TABLE notifications_history '
               'DROP CONSTRAINT uq_notifications_message_id')
    for name, _ in _NOTIFICATION_INDEXES:
        op.execute('ALTER INDEX %s RENAME TO notifications_history_%s'
                   % (name, name[len('ix_notifications_'):]))
    op.execute('ALTER SEQUENCE notifications_id_seq OWNED BY NONE')
    op.execute(
        "CREATE TABLE notifications (id BIGINT NOT NULL DEFAULT "
        "nextval('notifications_id_seq'), %s, PRIMARY KEY (id, "
        "generated_at)) PARTITION BY RANGE (generated_at)"
        % _NOTIFICATION_COLUMNS)
    op.execute('ALTER SEQUENCE notifications_id_seq OWNED BY '
               'notifications.id')
    op.execute('CREATE INDEX ix_notifications_message_id ON notifications '
               '(message_id)')
    for name, columns in _NOTIFICATION_INDEXES:
        op.execute('CREATE INDEX %s ON notifications (%s)' % (name, columns))
    op.execute('CREATE TABLE notifications_default PARTITION OF '
               'notifications DEFAULT')

    if connection.exec_driver_sql(
            'SELECT NOT EXISTS (SELECT 1 FROM notifications_history)'
    ).scalar_one():
        op.execute('DROP TABLE notifications_history')
        return
    today = datetime.datetime.now(datetime.timezone.utc).date()
    bound = datetime.datetime.combine(today + datetime.timedelta(days=1),
                                      datetime.time())
    # Rows dated from tomorrow on (clocks ahead, fuzz) go to the
    # partitions that will hold their days.
    connection.execute(sa.text(
        'WITH moved AS (DELETE FROM notifications_history WHERE '
        'generated_at >= :bound RETURNING *) INSERT INTO notifications '
        'SELECT * FROM moved'), {'bound': bound})
    # The indexes a partition of this table needs. IF NOT EXISTS: an
    # operator may have built them beforehand without stopping anything
    # (CREATE INDEX CONCURRENTLY, see the upgrade guide).
    op.execute('CREATE UNIQUE INDEX IF NOT EXISTS '
               'notifications_history_id_generated_at ON '
               'notifications_history (id, generated_at)')
    op.execute('CREATE INDEX IF NOT EXISTS notifications_history_message_id '
               'ON notifications_history (message_id)')
    op.execute('ALTER TABLE notifications_history DROP CONSTRAINT '
               'notifications_pkey')
    op.execute('ALTER TABLE notifications_history ADD CONSTRAINT '
               'notifications_history_pkey PRIMARY KEY USING INDEX '
               'notifications_history_id_generated_at')
    connection.execute(sa.text(
        'ALTER TABLE notifications ATTACH PARTITION notifications_history '
        'FOR VALUES FROM (MINVALUE) TO (:bound)'), {'bound': bound})
