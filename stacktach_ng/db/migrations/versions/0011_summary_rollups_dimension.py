"""An index of ``summary_rollups`` by width, dimension and bucket: the
hourly series of a month's ``/v1/summary`` reads the hours of one
dimension (``service``) instead of scanning every value of every hour.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_summary_rollups_dimension', 'summary_rollups',
                    ['width_us', 'dimension', 'bucket_us'])
