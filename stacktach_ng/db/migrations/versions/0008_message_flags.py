"""What a notification's message id and timestamp did not say: the
messages stored without a timestamp, the messages that reused another
message's id with other content, and the listener's counts of both.

* ``notifications.timestamp_missing``: the message carried no timestamp
  (neither in its envelope nor in its context); ``generated_at`` is the
  time it was received.
* ``notifications.conflict_of``: the message reused the id of another
  message stored before it, with other content; it is stored under an id
  derived from both (see ``pipeline.identity``) and this column keeps the
  id it came with.
* ``listener_heartbeats.conflicts`` and ``.undated``: the listener
  workers' counts of both.
* an index on ``resources.state_request_id``: the request lists read the
  resources a request left at work by it.

Every column is added with a default: on PostgreSQL (11 and later) and
MariaDB (10.3 and later) that changes the catalogue only, the rows are
not rewritten. The index is one build over the resources (one row per
resource, not per notification).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column(
        'timestamp_missing', sa.Boolean, nullable=False,
        server_default=sa.false()))
    op.add_column('notifications', sa.Column(
        'conflict_of', sa.String(128).with_variant(
            mysql.VARCHAR(128, charset='utf8mb4', collation='utf8mb4_bin'),
            'mysql')))
    for name in ('conflicts', 'undated'):
        op.add_column('listener_heartbeats', sa.Column(
            name, sa.BigInteger, nullable=False, server_default='0'))
    op.create_index('ix_resources_state_request', 'resources',
                    ['state_request_id'])
