"""Idempotent, order-independent writes of usage facts.

Every table has a natural key. Rows are inserted with "insert, or do
nothing when the key exists" (one statement per batch and table), and the
few tables where a later-arriving notification can carry better facts are
then corrected by conditional updates whose WHERE clause decides which of
two rows wins. The outcome is the same whatever the order in which
batches commit, and a replay of the same notifications changes nothing.
"""

import functools

import sqlalchemy as sa

from stacktach_ng.db import chunking
from stacktach_ng.db import upsert
from stacktach_ng.db.models import usage as models
from stacktach_ng.usage import extract

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


# Built once: a statement built per batch costs SQLAlchemy its cache key
# (and a bind parameter per id of ``in_(list)``) at every execution.
_EXISTING_LAUNCHES = (
    sa.select(LAUNCHES.c.instance_id, LAUNCHES.c.effective_at,
              LAUNCHES.c.evidence, LAUNCHES.c.generated_at)
    .where(LAUNCHES.c.instance_id.in_(
        sa.bindparam('instances', expanding=True))))


# On MySQL a locking read: the snapshot of its repeatable read may
# predate a launch that another batch committed since, whose key made
# the insert above a no-op; read from the snapshot, that launch would be
# missed and a better one never written over it (seen with two import
# jobs). PostgreSQL's read committed sees it; SQLite has one writer.
_EXISTING_LAUNCHES_LOCKED = _EXISTING_LAUNCHES.with_for_update()


def _existing_launches(connection, rows):
    instances = sorted({row['instance_id'] for row in rows})
    query = (_EXISTING_LAUNCHES_LOCKED if connection.dialect.name == 'mysql'
             else _EXISTING_LAUNCHES)
    found = {}
    for start in range(0, len(instances), chunking.CHUNK):
        chunk = instances[start:start + chunking.CHUNK]
        for item in connection.execute(query, {'instances': chunk}):
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


def _after(stored, incoming):
    """SQL: the stored rank (expressions) sorts after the incoming one
    (bind parameter names), comparing them in order like tuples."""
    (column, *rest_stored), (name, *rest_incoming) = stored, incoming
    later = column > sa.bindparam(name)
    if not rest_stored:
        return later
    return sa.or_(later, sa.and_(column == sa.bindparam(name),
                                 _after(rest_stored, rest_incoming)))


def _storage_key(row):
    return row['resource_type'], row['resource_id'], row['started_at']


def _storage_rank(row):
    return (extract.storage_evidence(row['kind']),
            row['size_bytes'] is None, row['generated_at'])


_STORAGE_EVIDENCE = sa.case(
    *[(STORAGE.c.kind == kind, evidence)
      for kind, evidence in sorted(extract.STORAGE_EVIDENCE.items())],
    else_=extract.EVIDENCE_EVENT)

_STORAGE_UPDATE = (
    STORAGE.update()
    .where(STORAGE.c.resource_type == sa.bindparam('k_resource_type'))
    .where(STORAGE.c.resource_id == sa.bindparam('k_resource_id'))
    .where(STORAGE.c.started_at == sa.bindparam('k_started_at'))
    .where(_after(
        (_STORAGE_EVIDENCE,
         sa.case((STORAGE.c.size_bytes.is_(None), 1), else_=0),
         STORAGE.c.generated_at),
        ('k_evidence', 'k_size_unknown', 'k_generated_at'))))


def write_storage(connection, rows):
    """Store image and volume sizes from a moment on.

    An event (upload, create, resize) beats an observation of the same
    start in another notification, which beats the one an exists
    reports; then a known size beats an unknown one (an image has no size
    before its upload), then the earlier notification wins.
    """
    rows = _best(rows, _storage_key, _storage_rank)
    if not rows:
        return
    upsert.insert_ignore(connection, STORAGE, rows)
    params = []
    for row in sorted(rows, key=_storage_key):
        item = _keyed(row, ('resource_type', 'resource_id', 'started_at'))
        evidence, size_unknown, _generated_at = _storage_rank(row)
        item.update(k_evidence=evidence, k_size_unknown=int(size_unknown),
                    k_generated_at=row['generated_at'])
        params.append(item)
    connection.execute(_STORAGE_UPDATE, params)


def _audit_key(row):
    """The identity of an audit record: the resource and its audit
    period, whatever the format and message that carried it. An exists
    without a full period has no such identity: it stays keyed by its
    message (in the database, NULLs never collide in a unique key)."""
    if (row['audit_period_beginning'] is None
            or row['audit_period_ending'] is None):
        return 'message', row['message_id'], row['resource_id']
    return (row['resource_type'], row['resource_id'],
            row['audit_period_beginning'], row['audit_period_ending'])


def _exists_rank(row):
    return extract.exists_format(row['event_type']), row['message_id']


# The verdict and claim columns of an exists belong to the verifier.
_VERIFIER_COLUMNS = frozenset((
    'status', 'reason', 'detail', 'verified_at', 'attempts', 'claimed_by',
    'claimed_until', 'notified_at'))
_AUDIT_KEY = ('resource_type', 'resource_id', 'audit_period_beginning',
              'audit_period_ending')

# (Comparisons, not IN: an IN list is an expanding parameter, which an
# executemany cannot bind.)
_EXISTS_FORMAT = sa.case(
    *[(EXISTS.c.event_type == event_type, 1)
      for event_type in sorted(extract.VERSIONED_EXISTS_EVENTS)],
    else_=0)

# Message ids are compared byte by byte on every backend, as Python
# compares them: the default collations of MySQL (case-insensitive) and
# PostgreSQL (locale) would order some ids differently, and then which
# twin is kept would depend on the backend and on the order of arrival.
_BINARY_COLLATIONS = {'mysql': 'utf8mb4_bin', 'postgresql': 'C'}


@functools.cache
def _exists_update(dialect_name, columns):
    message_id = EXISTS.c.message_id
    collation = _BINARY_COLLATIONS.get(dialect_name)
    if collation is not None:
        message_id = message_id.collate(collation)
    statement = EXISTS.update()
    for name in _AUDIT_KEY:
        statement = statement.where(EXISTS.c[name] == sa.bindparam(
            'k_' + name))
    return (
        statement
        # A verdict stays: see write_exists.
        .where(EXISTS.c.status == 'pending')
        .where(_after((_EXISTS_FORMAT, message_id),
                      ('k_format', 'k_message_id')))
        .values({name: sa.bindparam(name) for name in columns}))


def write_exists(connection, rows):
    """Store exists records: one per audit record.

    nova's ``notification_format = both`` sends each audit record twice,
    as ``compute.instance.exists`` and ``instance.exists`` (two message
    ids); a redelivery sends one again. They are one record, keyed by
    resource and audit period (``_audit_key``), and the copy kept is the
    same whatever the order of arrival: the legacy one (preferred as
    everywhere else, see ``stacktach_ng.analyses.merge.format_of``), then
    the smallest message id. The exists nova sends before a resize or a
    rebuild end at that moment: another period, another record.

    A record the verifier already decided keeps its verdict and the copy
    it was decided on: the twins report the same audit record (same
    instance, period, launch, flavor and deletion), so the verdict on one
    is the verdict on the other, and a verdict may already have been
    notified to billing under that copy's message id.
    """
    rows = _best(rows, _audit_key, _exists_rank)
    if not rows:
        return
    upsert.insert_ignore(connection, EXISTS, rows)
    audited = sorted((row for row in rows
                      if _audit_key(row)[0] != 'message'),
                     key=_audit_key)
    if not audited:
        return
    columns = tuple(sorted(name for name in audited[0]
                           if name not in _VERIFIER_COLUMNS
                           and name not in _AUDIT_KEY))
    params = []
    for row in audited:
        item = {name: row[name] for name in columns}
        for name in _AUDIT_KEY:
            item['k_' + name] = row[name]
        item['k_format'] = extract.exists_format(row['event_type'])
        item['k_message_id'] = row['message_id']
        params.append(item)
    # Every row, not only those a read finds better than the stored one:
    # the UPDATE sees the latest committed row on every backend (a read
    # in a MySQL REPEATABLE READ transaction may not), so whichever of
    # two concurrent batches commits last still makes the same choice.
    connection.execute(
        _exists_update(connection.dialect.name, columns), params)


def write_periods(connection, periods):
    """Remember the regular audit periods (``(beginning, ending)``)."""
    upsert.insert_ignore(connection, PERIODS, [
        {'beginning': beginning, 'ending': ending, 'checked_at': None,
         'missing': 0} for beginning, ending in sorted(set(periods))])
