"""Ingest core: notifications, rejected messages, listener heartbeats.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from stacktach_ng.db import types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def _id():
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                     primary_key=True, autoincrement=True)


def upgrade():
    op.create_table(
        'notifications',
        _id(),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('event_type', sa.String(255), nullable=False),
        sa.Column('priority', sa.String(16), nullable=False),
        sa.Column('publisher_id', sa.String(255)),
        sa.Column('service', sa.String(64)),
        sa.Column('host', sa.String(255)),
        sa.Column('generated_at', types.DateTime, nullable=False),
        sa.Column('received_at', types.DateTime, nullable=False),
        sa.Column('request_id', sa.String(255)),
        sa.Column('global_request_id', sa.String(255)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('user_id', sa.String(64)),
        sa.Column('resource_type', sa.String(64)),
        sa.Column('resource_id', sa.String(255)),
        sa.Column('vm_state', sa.String(32)),
        sa.Column('old_vm_state', sa.String(32)),
        sa.Column('task_state', sa.String(64)),
        sa.Column('old_task_state', sa.String(64)),
        sa.Column('power_state', sa.String(32)),
        sa.Column('object_name', sa.String(128)),
        sa.Column('object_version', sa.String(16)),
        sa.Column('payload', types.JsonText, nullable=False),
        sa.Column('context', types.JsonText, nullable=False),
        sa.UniqueConstraint('message_id', name='uq_notifications_message_id'),
        **_MYSQL)
    for name, columns in (
            ('ix_notifications_generated_at', ['generated_at']),
            ('ix_notifications_event_type', ['event_type', 'generated_at']),
            ('ix_notifications_request_id', ['request_id']),
            ('ix_notifications_global_request_id', ['global_request_id']),
            ('ix_notifications_resource', ['resource_id', 'generated_at']),
            ('ix_notifications_project', ['project_id', 'generated_at']),
            ('ix_notifications_host', ['host', 'generated_at']),
            ('ix_notifications_service', ['service', 'generated_at'])):
        op.create_index(name, 'notifications', columns)

    op.create_table(
        'rejected_messages',
        _id(),
        sa.Column('received_at', types.DateTime, nullable=False),
        sa.Column('source', sa.String(32), nullable=False),
        sa.Column('reason', sa.String(255), nullable=False),
        sa.Column('message_id', sa.String(128)),
        sa.Column('event_type', sa.String(255)),
        sa.Column('publisher_id', sa.String(255)),
        sa.Column('size', sa.Integer, nullable=False),
        sa.Column('excerpt', types.LongText, nullable=False),
        **_MYSQL)
    op.create_index('ix_rejected_messages_received_at', 'rejected_messages',
                    ['received_at'])

    op.create_table(
        'listener_heartbeats',
        sa.Column('worker', sa.String(255), primary_key=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('started_at', types.DateTime, nullable=False),
        sa.Column('last_seen', types.DateTime, nullable=False),
        sa.Column('stored', sa.BigInteger, nullable=False),
        sa.Column('duplicates', sa.BigInteger, nullable=False),
        sa.Column('rejected', sa.BigInteger, nullable=False),
        sa.Column('requeued', sa.BigInteger, nullable=False),
        sa.Column('batches', sa.BigInteger, nullable=False),
        **_MYSQL)
