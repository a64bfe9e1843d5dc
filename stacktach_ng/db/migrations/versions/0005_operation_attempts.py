"""Operation attempts: one ``operations`` row per attempt.

A request may start and end the same operation more than once (nova
reschedules a boot whose spawn failed to another host, under the same
request id). ``attempt`` numbers them in the key, and row 0 counts the
key's reported starts and ends per format, which tells the timings
handler when a key has more than one attempt; an index on ``attempt``
finds the few later attempts. Existing rows are attempt 0 with counts
0; ``stacktach-ng-manage rebuild`` splits the attempts folded into one
row before this revision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COUNTS = ('legacy_starts', 'versioned_starts', 'legacy_ends',
           'versioned_ends')


def upgrade():
    with op.batch_alter_table('operations') as batch:
        batch.add_column(sa.Column('attempt', sa.SmallInteger,
                                   nullable=False, server_default='0'))
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=False,
                                       server_default='0'))
        batch.drop_constraint('uq_operations_key', type_='unique')
        batch.create_unique_constraint(
            'uq_operations_key',
            ['scope_id', 'request_id', 'operation', 'attempt'])
    op.create_index('ix_operations_attempt', 'operations', ['attempt'])
