"""One exists row per audit record: resource and audit period.

With nova's ``notification_format = both`` every audit record was stored
twice (``compute.instance.exists`` and ``instance.exists``) and verified
twice. The duplicates stored so far are removed, keeping the copy the
handler now keeps (``stacktach_ng.usage.store.write_exists``): the legacy
one, then the smallest message id; the kept row keeps its own
verification. Rows without a full audit period are left alone (NULLs
never collide in a unique key).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must keep doing what it
# did when the code it ran with has changed.
_VERSIONED_EXISTS = ('instance.exists',)
_KEY = ('resource_type', 'resource_id', 'audit_period_beginning',
        'audit_period_ending')
_CHUNK = 500


def _rank(row):
    """Which copy of an audit record is kept: the lowest."""
    return (1 if row.event_type in _VERSIONED_EXISTS else 0,
            row.message_id, row.id)


def _duplicates(connection, exists):
    """The ids of the rows that are not the kept copy of their record."""
    key = [exists.c[name] for name in _KEY]
    groups = (sa.select(*key)
              .where(exists.c.audit_period_beginning.isnot(None))
              .where(exists.c.audit_period_ending.isnot(None))
              .group_by(*key).having(sa.func.count() > 1)
              .subquery())
    rows = connection.execute(
        sa.select(exists.c.id, exists.c.event_type, exists.c.message_id,
                  *key)
        .join(groups, sa.and_(*[exists.c[name] == groups.c[name]
                                for name in _KEY]))).all()
    kept = {}
    for row in rows:
        record = tuple(getattr(row, name) for name in _KEY)
        current = kept.get(record)
        if current is None or _rank(row) < _rank(current):
            kept[record] = row
    keep = {row.id for row in kept.values()}
    return sorted(row.id for row in rows if row.id not in keep)


def upgrade():
    connection = op.get_bind()
    exists = sa.table('usage_exists', *[
        sa.column(name) for name in ('id', 'event_type', 'message_id')
        + _KEY])
    extra = _duplicates(connection, exists)
    for start in range(0, len(extra), _CHUNK):
        connection.execute(exists.delete().where(
            exists.c.id.in_(extra[start:start + _CHUNK])))
    with op.batch_alter_table('usage_exists') as batch:
        batch.create_unique_constraint('uq_usage_exists_audit', list(_KEY))
