"""Analyses: lifecycles, operations, spans, errors, summary.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from stacktach_ng.db import types

revision = '0002'
down_revision = '0001'
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
        'resources',
        sa.Column('resource_id', sa.String(255), primary_key=True),
        sa.Column('resource_type', sa.String(64)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('first_us', sa.BigInteger, nullable=False),
        sa.Column('last_us', sa.BigInteger, nullable=False),
        sa.Column('state_us', sa.BigInteger),
        sa.Column('state_message_id', sa.String(128)),
        sa.Column('vm_state', sa.String(32)),
        sa.Column('task_state', sa.String(64)),
        sa.Column('power_state', sa.String(32)),
        sa.Column('status', sa.String(64)),
        sa.Column('state_event_type', sa.String(255)),
        sa.Column('state_request_id', sa.String(255)),
        sa.Column('state_host', sa.String(255)),
        sa.Column('last_message_id', sa.String(128)),
        sa.Column('last_event_type', sa.String(255)),
        sa.Column('last_service', sa.String(64)),
        sa.Column('last_host', sa.String(255)),
        sa.Column('task_source', sa.SmallInteger),
        sa.Column('task_us', sa.BigInteger),
        sa.Column('task_message_id', sa.String(128)),
        sa.Column('task_value', sa.String(64)),
        sa.Column('task_break_us', sa.BigInteger),
        sa.Column('task_break_message_id', sa.String(128)),
        sa.Column('task_since_us', sa.BigInteger),
        sa.Column('task_since_message_id', sa.String(128)),
        **_MYSQL)
    _indexes('resources', (
        ('ix_resources_task_state', ['task_state', 'state_us']),
        ('ix_resources_project', ['project_id', 'last_us']),
        ('ix_resources_last', ['last_us'])))

    op.create_table(
        'operations',
        _id(),
        sa.Column('scope_id', sa.String(255), nullable=False),
        sa.Column('request_id', sa.String(255), nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        sa.Column('resource_id', sa.String(255)),
        sa.Column('resource_type', sa.String(64)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('service', sa.String(64)),
        sa.Column('host', sa.String(255)),
        sa.Column('end_host', sa.String(255)),
        sa.Column('start_us', sa.BigInteger),
        sa.Column('end_us', sa.BigInteger),
        sa.Column('start_format', sa.SmallInteger),
        sa.Column('end_format', sa.SmallInteger),
        sa.Column('outcome', sa.String(16)),
        sa.Column('start_message_id', sa.String(128)),
        sa.Column('end_message_id', sa.String(128)),
        sa.UniqueConstraint('scope_id', 'request_id', 'operation',
                            name='uq_operations_key'),
        **_MYSQL)
    _indexes('operations', (
        ('ix_operations_operation_end', ['operation', 'end_us']),
        ('ix_operations_end_start', ['end_us', 'start_us']),
        ('ix_operations_start', ['start_us']),
        ('ix_operations_request', ['request_id']),
        ('ix_operations_resource', ['resource_id', 'start_us']),
        ('ix_operations_project', ['project_id', 'end_us'])))

    op.create_table(
        'requests',
        sa.Column('request_id', sa.String(255), primary_key=True),
        sa.Column('global_request_id', sa.String(255)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('first_us', sa.BigInteger, nullable=False),
        sa.Column('first_message_id', sa.String(128), nullable=False),
        sa.Column('last_us', sa.BigInteger, nullable=False),
        sa.Column('end_us', sa.BigInteger),
        sa.Column('end_format', sa.SmallInteger),
        sa.Column('service', sa.String(64)),
        sa.Column('host', sa.String(255)),
        sa.Column('first_event_type', sa.String(255)),
        sa.Column('operation', sa.String(128)),
        sa.Column('operation_us', sa.BigInteger),
        sa.Column('failed', sa.Boolean, nullable=False),
        sa.Column('notifications', sa.Integer, nullable=False),
        **_MYSQL)
    _indexes('requests', (
        ('ix_requests_first', ['first_us']),
        ('ix_requests_global', ['global_request_id']),
        ('ix_requests_project', ['project_id', 'first_us']),
        ('ix_requests_operation', ['operation', 'first_us'])))

    op.create_table(
        'profiler_spans',
        sa.Column('trace_id', sa.String(255), primary_key=True),
        sa.Column('base_id', sa.String(255)),
        sa.Column('parent_id', sa.String(255)),
        sa.Column('name', sa.String(255)),
        sa.Column('service', sa.String(64)),
        sa.Column('host', sa.String(255)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('request_id', sa.String(255)),
        sa.Column('start_us', sa.BigInteger),
        sa.Column('end_us', sa.BigInteger),
        sa.Column('failed', sa.Boolean, nullable=False),
        **_MYSQL)
    _indexes('profiler_spans', (
        ('ix_profiler_spans_base', ['base_id']),
        ('ix_profiler_spans_request', ['request_id'])))

    op.create_table(
        'error_events',
        _id(),
        sa.Column('message_id', sa.String(128), nullable=False),
        sa.Column('twin_key', sa.String(40), nullable=False),
        sa.Column('versioned', sa.Boolean, nullable=False),
        sa.Column('fingerprint', sa.String(16), nullable=False),
        sa.Column('exception', sa.String(255)),
        sa.Column('message', types.LongText),
        sa.Column('masked_message', types.LongText),
        sa.Column('function_name', sa.String(255)),
        sa.Column('module_name', sa.String(255)),
        sa.Column('operation', sa.String(128)),
        sa.Column('event_type', sa.String(255), nullable=False),
        sa.Column('priority', sa.String(16), nullable=False),
        sa.Column('generated_us', sa.BigInteger, nullable=False),
        sa.Column('service', sa.String(64)),
        sa.Column('host', sa.String(255)),
        sa.Column('request_id', sa.String(255)),
        sa.Column('resource_id', sa.String(255)),
        sa.Column('project_id', sa.String(64)),
        sa.UniqueConstraint('message_id', name='uq_error_events_message'),
        **_MYSQL)
    _indexes('error_events', (
        ('ix_error_events_fingerprint', ['fingerprint', 'generated_us']),
        ('ix_error_events_generated', ['generated_us']),
        ('ix_error_events_project', ['project_id', 'generated_us']),
        ('ix_error_events_request', ['request_id']),
        ('ix_error_events_resource', ['resource_id'])))

    op.create_table(
        'summary_counts',
        _id(),
        sa.Column('bucket_us', sa.BigInteger, nullable=False),
        sa.Column('dimension', sa.String(16), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('notifications', sa.BigInteger, nullable=False),
        sa.Column('errors', sa.BigInteger, nullable=False),
        sa.UniqueConstraint('bucket_us', 'dimension', 'name', 'project_id',
                            name='uq_summary_counts_key'),
        **_MYSQL)
    _indexes('summary_counts', (
        ('ix_summary_counts_project', ['project_id', 'bucket_us']),))
