"""Hourly roll-ups of operations: ``operation_hours`` and what each
ended operation adds to them, ``operation_hour_members`` (rollups
handler). Both start empty: ``stacktach-ng-manage rebuild`` fills them
from the stored notifications.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_MYSQL = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def _id():
    return sa.Column('id', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                     primary_key=True, autoincrement=True)


def upgrade():
    op.create_table(
        'operation_hours',
        _id(),
        sa.Column('hour_us', sa.BigInteger, nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('service', sa.String(64), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('count', sa.Integer, nullable=False),
        sa.Column('errors', sa.Integer, nullable=False),
        sa.Column('measured', sa.Integer, nullable=False),
        sa.Column('min_us', sa.BigInteger),
        sa.Column('max_us', sa.BigInteger),
        sa.Column('sketch', sa.Text, nullable=False),
        sa.UniqueConstraint('hour_us', 'operation', 'host', 'service',
                            'project_id', name='uq_operation_hours_key'),
        **_MYSQL)
    op.create_index('ix_operation_hours_project', 'operation_hours',
                    ['project_id', 'hour_us'])
    op.create_table(
        'operation_hour_members',
        _id(),
        sa.Column('scope_id', sa.String(255), nullable=False),
        sa.Column('request_id', sa.String(255), nullable=False),
        sa.Column('operation', sa.String(128), nullable=False),
        sa.Column('attempt', sa.SmallInteger, nullable=False),
        sa.Column('hour_us', sa.BigInteger, nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('service', sa.String(64), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('duration_us', sa.BigInteger),
        sa.Column('failed', sa.Boolean, nullable=False),
        sa.UniqueConstraint('scope_id', 'request_id', 'operation', 'attempt',
                            name='uq_operation_hour_members_key'),
        **_MYSQL)
    op.create_index('ix_operation_hour_members_cell',
                    'operation_hour_members',
                    ['hour_us', 'operation', 'host', 'service', 'project_id'])
