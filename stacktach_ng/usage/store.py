"""Idempotent, order-independent writes of usage facts.

Every table has a natural key. Rows are inserted with "insert, or do
nothing when the key exists" (one statement per batch and table), and the
few tables where a later-arriving notification can carry better facts are
then corrected by conditional updates whose WHERE clause decides which of
two rows wins. The outcome is the same whatever the order in which
batches commit, and a replay of the same notifications changes nothing.
"""

import sqlalchemy as sa

from stacktach_ng.db import chunking
from stacktach_ng.db import upsert
from stacktach_ng.db.models import usage as models

LAUNCHES = models.UsageLaunch.__table__
STORAGE = models.UsageStorage.__table__
DELETES = models.UsageDelete.__table__
EXISTS = models.UsageExists.__table__
PERIODS = models.UsageAuditPeriod.__table__
MISSING = models.UsageMissing.__table__


def _best(rows, key, rank):
    """One row per key: the one with the lowest rank."""
    chosen = {}
    for row in rows:
        k = key(row)
        current = chosen.get(k)
        if current is None or rank(row) < rank(current):
            chosen[k] = row
    return list(chosen.values())


def _launch_key(row):
    return row['instance_id'], row['effective_at']


def _launch_rank(row):
    return row['evidence'], row['generated_at']


_LAUNCH_UPDATE = (
    LAUNCHES.update()
    .where(LAUNCHES.c.instance_id == sa.bindparam('k_instance_id'))
    .where(LAUNCHES.c.effective_at == sa.bindparam('k_effective_at'))
    .where(sa.or_(
        LAUNCHES.c.evidence > sa.bindparam('k_evidence'),
        sa.and_(LAUNCHES.c.evidence == sa.bindparam('k_evidence'),
                LAUNCHES.c.generated_at > sa.bindparam('k_generated_at')))))


def _keyed(row, names):
    """Parameters of a conditional update: the row's columns are SET,
    the ``k_`` copies of the key columns bind the WHERE clause."""
    params = {name: value for name, value in row.items()
              if name not in names[:2]}
    for name in names:
        params['k_' + name] = row[name]
    return params


def write_launches(connection, rows):
    """Store launches; a launch event beats an observation of the same
    launch, and the earlier notification beats the later one."""
    rows = _best(rows, _launch_key, _launch_rank)
    if not rows:
        return
    upsert.insert_ignore(connection, LAUNCHES, rows)
    # Only launch events can improve on a stored row in practice (an
    # update reported the launch before the create.end arrived); an
    # observation is corrected too when it predates the stored one.
    existing = _existing_launches(connection, rows)
    better = [row for row in rows
              if existing.get(_launch_key(row)) is not None
              and _launch_rank(row) < existing[_launch_key(row)]]
    if better:
        connection.execute(
            _LAUNCH_UPDATE,
            [_keyed(row, ('instance_id', 'effective_at', 'evidence',
                          'generated_at')) for row in better])


def _existing_launches(connection, rows):
    instances = sorted({row['instance_id'] for row in rows})
    found = {}
    for start in range(0, len(instances), chunking.CHUNK):
        chunk = instances[start:start + chunking.CHUNK]
        for item in connection.execute(
                sa.select(LAUNCHES.c.instance_id, LAUNCHES.c.effective_at,
                          LAUNCHES.c.evidence, LAUNCHES.c.generated_at)
                .where(LAUNCHES.c.instance_id.in_(chunk))):
            found[(item.instance_id, item.effective_at)] = (
                item.evidence, item.generated_at)
    return found


_DELETE_UPDATE = (
    DELETES.update()
    .where(DELETES.c.resource_type == sa.bindparam('k_resource_type'))
    .where(DELETES.c.resource_id == sa.bindparam('k_resource_id'))
    .where(sa.or_(
        DELETES.c.deleted_at > sa.bindparam('k_deleted_at'),
        sa.and_(DELETES.c.deleted_at == sa.bindparam('k_deleted_at'),
                DELETES.c.generated_at > sa.bindparam('k_generated_at')))))


def write_deletes(connection, rows):
    """Store deletions; the earliest deletion of a resource wins."""
    rows = _best(rows, lambda r: (r['resource_type'], r['resource_id']),
                 lambda r: (r['deleted_at'], r['generated_at']))
    if not rows:
        return
    upsert.insert_ignore(connection, DELETES, rows)
    connection.execute(
        _DELETE_UPDATE,
        [_keyed(row, ('resource_type', 'resource_id', 'deleted_at',
                      'generated_at')) for row in rows])


def write_storage(connection, rows):
    """Store image and volume sizes (same key, same facts: first wins)."""
    rows = _best(rows, lambda r: (r['resource_type'], r['resource_id'],
                                  r['started_at']),
                 lambda r: r['generated_at'])
    upsert.insert_ignore(connection, STORAGE, rows)


def write_exists(connection, rows):
    """Store exists records; a redelivered one keeps its verification."""
    rows = _best(rows, lambda r: (r['message_id'], r['resource_id']),
                 lambda r: 0)
    upsert.insert_ignore(connection, EXISTS, rows)


def write_periods(connection, periods):
    """Remember the regular audit periods (``(beginning, ending)``)."""
    upsert.insert_ignore(connection, PERIODS, [
        {'beginning': beginning, 'ending': ending, 'checked_at': None,
         'missing': 0} for beginning, ending in sorted(set(periods))])
