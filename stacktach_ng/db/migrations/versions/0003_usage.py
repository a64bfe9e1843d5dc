"""Usage: launches, deletes, exists records and their verification.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from stacktach_ng.db import types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def _id():
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                     primary_key=True, autoincrement=True)


def _indexes(table, indexes):
    for name, columns in indexes:
        op.create_index(name, table, columns)


def upgrade():
    op.create_table(
        'usage_launches',
        _id(),
        sa.Column('instance_id', sa.String(64), nullable=False),
        sa.Column('launched_at', types.DateTime, nullable=False),
        sa.Column('effective_at', types.DateTime, nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('evidence', sa.SmallInteger, nullable=False),
        sa.Column('project_id', sa.String(64)),
        sa.Column('user_id', sa.String(64)),
        sa.Column('flavor_id', sa.String(64)),
        sa.Column('flavor_name', sa.String(255)),
        sa.Column('instance_type_id', sa.String(64)),
        sa.Column('vcpus', sa.Integer),
        sa.Column('memory_mb', sa.Integer),
        sa.Column('root_gb', sa.Integer),
        sa.Column('ephemeral_gb', sa.Integer),
        sa.Column('image_id', sa.String(64)),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('generated_at', types.DateTime, nullable=False),
        sa.UniqueConstraint('instance_id', 'effective_at',
                            name='uq_usage_launches_instance'),
        **_MYSQL)
    _indexes('usage_launches', (
        ('ix_usage_launches_project', ['project_id', 'effective_at']),
        ('ix_usage_launches_effective_at', ['effective_at'])))

    op.create_table(
        'usage_storage',
        _id(),
        sa.Column('resource_type', sa.String(16), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('started_at', types.DateTime, nullable=False),
        sa.Column('created_at', types.DateTime),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('project_id', sa.String(64)),
        sa.Column('size_bytes', sa.BigInteger),
        sa.Column('volume_type', sa.String(255)),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('generated_at', types.DateTime, nullable=False),
        sa.UniqueConstraint('resource_type', 'resource_id', 'started_at',
                            name='uq_usage_storage_resource'),
        **_MYSQL)
    _indexes('usage_storage', (
        ('ix_usage_storage_project', ['project_id', 'started_at']),))

    op.create_table(
        'usage_deletes',
        _id(),
        sa.Column('resource_type', sa.String(16), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('project_id', sa.String(64)),
        sa.Column('launched_at', types.DateTime),
        sa.Column('deleted_at', types.DateTime, nullable=False),
        sa.Column('terminated_at', types.DateTime),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('generated_at', types.DateTime, nullable=False),
        sa.UniqueConstraint('resource_type', 'resource_id',
                            name='uq_usage_deletes_resource'),
        **_MYSQL)
    _indexes('usage_deletes', (
        ('ix_usage_deletes_project', ['project_id', 'deleted_at']),
        ('ix_usage_deletes_deleted_at', ['deleted_at'])))

    op.create_table(
        'usage_exists',
        _id(),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('event_type', sa.String(255), nullable=False),
        sa.Column('resource_type', sa.String(16), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('project_id', sa.String(64)),
        sa.Column('user_id', sa.String(64)),
        sa.Column('launched_at', types.DateTime),
        sa.Column('deleted_at', types.DateTime),
        sa.Column('audit_period_beginning', types.DateTime),
        sa.Column('audit_period_ending', types.DateTime),
        sa.Column('flavor_id', sa.String(64)),
        sa.Column('flavor_name', sa.String(255)),
        sa.Column('instance_type_id', sa.String(64)),
        sa.Column('vcpus', sa.Integer),
        sa.Column('memory_mb', sa.Integer),
        sa.Column('root_gb', sa.Integer),
        sa.Column('ephemeral_gb', sa.Integer),
        sa.Column('image_id', sa.String(64)),
        sa.Column('size_bytes', sa.BigInteger),
        sa.Column('volume_type', sa.String(255)),
        sa.Column('generated_at', types.DateTime, nullable=False),
        sa.Column('received_at', types.DateTime, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.String(64)),
        sa.Column('detail', sa.String(255)),
        sa.Column('verified_at', types.DateTime),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('claimed_by', sa.String(64)),
        sa.Column('claimed_until', types.DateTime),
        sa.Column('notified_at', types.DateTime),
        sa.UniqueConstraint('message_id', 'resource_id',
                            name='uq_usage_exists_message'),
        **_MYSQL)
    _indexes('usage_exists', (
        ('ix_usage_exists_status', ['status', 'id']),
        ('ix_usage_exists_resource', ['resource_id', 'audit_period_ending']),
        ('ix_usage_exists_project', ['project_id', 'audit_period_ending']),
        ('ix_usage_exists_period', ['audit_period_beginning',
                                    'audit_period_ending', 'received_at'])))

    op.create_table(
        'usage_audit_periods',
        _id(),
        sa.Column('beginning', types.DateTime, nullable=False),
        sa.Column('ending', types.DateTime, nullable=False),
        sa.Column('checked_at', types.DateTime),
        sa.Column('missing', sa.Integer, nullable=False),
        sa.UniqueConstraint('beginning', 'ending',
                            name='uq_usage_audit_periods'),
        **_MYSQL)

    op.create_table(
        'usage_missing',
        _id(),
        sa.Column('instance_id', sa.String(64), nullable=False),
        sa.Column('project_id', sa.String(64)),
        sa.Column('launched_at', types.DateTime, nullable=False),
        sa.Column('audit_period_beginning', types.DateTime, nullable=False),
        sa.Column('audit_period_ending', types.DateTime, nullable=False),
        sa.Column('detected_at', types.DateTime, nullable=False),
        sa.UniqueConstraint('instance_id', 'audit_period_beginning',
                            'audit_period_ending',
                            name='uq_usage_missing_instance'),
        **_MYSQL)
    _indexes('usage_missing', (
        ('ix_usage_missing_period', ['audit_period_beginning',
                                     'audit_period_ending']),
        ('ix_usage_missing_project', ['project_id', 'audit_period_ending'])))
