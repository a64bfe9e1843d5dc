"""What the analysis handlers share: event naming, times, commutative upserts.

Derived data is a pure function of the SET of stored notifications: batches
commit concurrently and out of order, and the same event may arrive twice
(a redelivery has the same message id and is dropped by the
``notifications`` handler; nova's ``both`` format sends a legacy and a
versioned twin with different message ids). So every derived row is either

* a fact of one notification (inserted once), or
* an aggregate merged with ``INSERT ... ON CONFLICT DO UPDATE`` (MySQL
  ``ON DUPLICATE KEY UPDATE``) whose update expressions are commutative:
  MIN, MAX, "the value carried by the greatest (time, message id)", sums.

Times in derived tables are integers: microseconds since the Unix epoch
(UTC), columns named ``*_us``. Durations are then a portable subtraction and
the merge expressions compare integers.
"""

import datetime
import functools
import re

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from stacktach_ng.db import bulk
from stacktach_ng.handlers import base

EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)

# Rows per statement: bounded, far below every backend's parameter limit.
CHUNK = 500

START = 'start'
END = 'end'
ERROR = 'error'

ERROR_PRIORITIES = frozenset(('ERROR', 'CRITICAL'))

# Legacy nova instance actions whose names differ from the versioned ones
# (after the dots inside the action became underscores).
_INSTANCE_ALIASES = {
    'finish_resize': 'resize_finish',
}

# The functions nova's ``wrap_exception`` names a legacy ERROR notification
# after, and the operation whose failure they report.
FUNCTION_OPERATIONS = {
    'build_and_run_instance': 'instance.create',
    'run_instance': 'instance.create',
    'terminate_instance': 'instance.delete',
    'soft_delete_instance': 'instance.soft_delete',
    'restore_instance': 'instance.restore',
    'rebuild_instance': 'instance.rebuild',
    'reboot_instance': 'instance.reboot',
    'rescue_instance': 'instance.rescue',
    'unrescue_instance': 'instance.unrescue',
    'snapshot_instance': 'instance.snapshot',
    'backup_instance': 'instance.snapshot',
    'stop_instance': 'instance.power_off',
    'start_instance': 'instance.power_on',
    'power_off_instance': 'instance.power_off',
    'power_on_instance': 'instance.power_on',
    'pause_instance': 'instance.pause',
    'unpause_instance': 'instance.unpause',
    'suspend_instance': 'instance.suspend',
    'resume_instance': 'instance.resume',
    'shelve_instance': 'instance.shelve',
    'shelve_offload_instance': 'instance.shelve_offload',
    'unshelve_instance': 'instance.unshelve',
    'prep_resize': 'instance.resize_prep',
    'resize_instance': 'instance.resize',
    'finish_resize': 'instance.resize_finish',
    'confirm_resize': 'instance.resize_confirm',
    'revert_resize': 'instance.resize_revert',
    'finish_revert_resize': 'instance.resize_revert',
    'attach_volume': 'instance.volume_attach',
    'detach_volume': 'instance.volume_detach',
    'swap_volume': 'instance.volume_swap',
    'attach_interface': 'instance.interface_attach',
    'detach_interface': 'instance.interface_detach',
    'live_migration': 'instance.live_migration',
    'pre_live_migration': 'instance.live_migration_pre',
    'post_live_migration_at_destination': 'instance.live_migration_post_dest',
    'rollback_live_migration_at_destination':
        'instance.live_migration_rollback_dest',
    'trigger_crash_dump': 'instance.trigger_crash_dump',
}

# Operations that are steps of a larger one, and the name of that one.
FAMILIES = {
    'instance.resize_prep': 'instance.resize',
    'instance.resize': 'instance.resize',
    'instance.resize_finish': 'instance.resize',
    'instance.resize_confirm': 'instance.resize',
    'instance.resize_revert': 'instance.resize',
    'instance.live_migration_pre': 'instance.live_migration',
    'instance.live_migration_post': 'instance.live_migration',
    'instance.live_migration_post_dest': 'instance.live_migration',
    'instance.live_migration_rollback': 'instance.live_migration',
    'instance.live_migration_rollback_dest': 'instance.live_migration',
    'instance.live_migration_abort': 'instance.live_migration',
    'instance.live_migration_force_complete': 'instance.live_migration',
    'instance.rebuild_scheduled': 'instance.rebuild',
    'instance.rebuild': 'instance.rebuild',
}

# The steps that open a new multi-step operation of their family.
FAMILY_OPENERS = frozenset((
    'instance.resize_prep', 'instance.live_migration_pre',
    'instance.rebuild_scheduled'))

# Instance task states and the service an instance stuck in them waits on.
TASK_STATE_SERVICES = {
    'scheduling': 'scheduler',
    'networking': 'neutron',
    'block_device_mapping': 'cinder',
    'spawning': 'hypervisor',
    'image_snapshot': 'hypervisor',
    'image_snapshot_pending': 'hypervisor',
    'image_pending_upload': 'glance',
    'image_uploading': 'glance',
    'deleting': 'hypervisor',
    'resize_prep': 'scheduler',
    'resize_migrating': 'hypervisor',
    'resize_migrated': 'hypervisor',
    'resize_finish': 'hypervisor',
    'rebuilding': 'hypervisor',
    'rebuild_block_device_mapping': 'cinder',
    'rebuild_spawning': 'hypervisor',
    'migrating': 'hypervisor',
    'powering-off': 'hypervisor',
    'powering-on': 'hypervisor',
    'rebooting': 'hypervisor',
    'rebooting_hard': 'hypervisor',
}

_INSTANCE_UPDATES = frozenset(('compute.instance.update', 'instance.update'))


def to_us(value):
    """Microseconds since the epoch of a naive UTC datetime (None stays)."""
    if value is None:
        return None
    return (value - EPOCH) // _MICROSECOND


def from_us(value):
    """The naive UTC datetime of epoch microseconds (None stays)."""
    if value is None:
        return None
    return EPOCH + datetime.timedelta(microseconds=value)


def iso(value):
    """ISO 8601 text with a 'Z' of epoch microseconds, or None."""
    if value is None:
        return None
    return from_us(value).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def is_instance_update(event_type):
    return event_type in _INSTANCE_UPDATES


def _instance_action(parts):
    action = '_'.join(part.lstrip('_') for part in parts if part)
    return _INSTANCE_ALIASES.get(action, action)


# Event types are few: their parsing is cached.
@functools.lru_cache(maxsize=4096)
def operation_of(event_type):
    """(operation, phase) of an event type; phase is start/end/error/None.

    Legacy and versioned names of the same nova action give the same
    operation (``compute.instance.resize.prep.start`` and
    ``instance.resize_prep.start`` are both ``instance.resize_prep``), so
    nova's ``both`` format merges into one operation.
    """
    parts = event_type.split('.')
    phase = None
    last = parts[-1]
    if len(parts) > 1 and last in (START, END, ERROR):
        phase = last
        parts = parts[:-1]
    if parts[0] == 'compute' and len(parts) > 2 and parts[1] == 'instance':
        # compute.instance.X, and nova's old compute.instance.instance.X.
        rest = parts[2:]
        if rest[0] == 'instance' and len(rest) > 1:
            rest = rest[1:]
        return 'instance.' + _instance_action(rest), phase
    if parts[0] == 'instance' and len(parts) > 1:
        return 'instance.' + _instance_action(parts[1:]), phase
    return '.'.join(parts), phase


def error_operation(event_type, payload):
    """The operation a failure notification without a phase reports.

    A legacy ``wrap_exception`` notification is named after the failing
    function (``snapshot_instance``); a versioned ``compute.exception``
    carries the function's name in its payload.
    """
    name = event_type
    if event_type == 'compute.exception':
        data = payload.get('nova_object.data')
        if isinstance(data, dict):
            name = data.get('function_name') or event_type
            if not isinstance(name, str):
                # A list or a dict there is no function name (and, being
                # unhashable, failed the lookup and the whole batch).
                name = event_type
    found = FUNCTION_OPERATIONS.get(name)
    if found is not None:
        return found
    return operation_of(event_type)[0]


def is_error(row):
    """Whether a notification row reports a failure."""
    return (row['priority'] in ERROR_PRIORITIES
            or row['event_type'].endswith('.error'))


def family_of(operation):
    return FAMILIES.get(operation, operation)


def key_text(value):
    """A key column's value: unique constraints treat NULLs as distinct,
    so a missing request or resource is stored as ''."""
    return value if value is not None else ''


# -- commutative merge expressions -------------------------------------

def least(old, new):
    """MIN of two nullable values (NULL means "not known")."""
    return sa.case((old.is_(None), new), (new.is_(None), old),
                   (new < old, new), else_=old)


def greatest(old, new):
    """MAX of two nullable values (NULL means "not known")."""
    return sa.case((old.is_(None), new), (new.is_(None), old),
                   (new > old, new), else_=old)


def least_known(a, b):
    """``least`` in Python, for folding a batch's rows before the upsert:
    the smaller of two values, None meaning "not known"."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def newer(old_time, old_tie, new_time, new_tie):
    """True when the incoming (time, tie-break) is greater than the stored
    one; a NULL time never wins."""
    return sa.and_(
        new_time.is_not(None),
        sa.or_(old_time.is_(None), new_time > old_time,
               sa.and_(new_time == old_time, new_tie > old_tie)))


def older(old_time, old_tie, new_time, new_tie):
    """True when the incoming (time, tie-break) is smaller than the stored
    one; a NULL time never wins."""
    return sa.and_(
        new_time.is_not(None),
        sa.or_(old_time.is_(None), new_time < old_time,
               sa.and_(new_time == old_time, new_tie < old_tie)))


def prefer(stored, incoming, order):
    """True when the incoming row is better by a lexicographic order.

    ``order`` lists ``(column name, smaller_is_better)``, most
    significant first; the first column is NULL when the row has no such
    value, and a NULL never wins.
    """
    better = sa.false()
    for name, smaller in reversed(order):
        mine, theirs = incoming[name], stored[name]
        strictly = mine < theirs if smaller else mine > theirs
        better = sa.or_(strictly, sa.and_(mine == theirs, better))
    first = order[0][0]
    return sa.and_(incoming[first].is_not(None),
                   sa.or_(stored[first].is_(None), better))


def assign_compared(stored, incoming, wins, order):
    """The assignments of the columns ``prefer`` compared, least
    significant first.

    MySQL applies assignments in order and later conditions see the new
    values: in this order, a decision taken on a less significant column
    leaves the more significant ones equal, and one taken on a more
    significant column still holds, so every column follows the same
    decision. Assign the columns that depend on ``wins`` before these.
    """
    return [(name, sa.case((wins, incoming[name]), else_=stored[name]))
            for name, _smaller in reversed(order)]


def format_of(row):
    """0 for a legacy notification, 1 for a versioned one.

    Where nova sends both, the legacy copy comes first and is preferred.
    """
    return 0 if row['object_name'] is None else 1


def better_start(format_, at, message_id, current):
    """Whether a start (format, time, id) beats ``current``'s (a triple
    or None): legacy first, then the earliest."""
    if current is None:
        return True
    return (format_, at, message_id) < current


def better_end(format_, at, message_id, current):
    """Whether an end (format, time, id) beats ``current``'s (a triple or
    None): legacy first, then the latest."""
    if current is None:
        return True
    if format_ != current[0]:
        return format_ < current[0]
    return (at, message_id) > (current[1], current[2])


def upsert(connection, table, rows, keys, merge):
    """Insert ``rows``, merging each with the stored row of the same key.

    ``merge(stored, incoming)`` returns ``[(column name, expression)]``:
    ``stored`` is the table's columns, ``incoming`` the proposed row's.
    The list is applied in order on MySQL, where an assignment sees the
    columns assigned before it, so a column that others compare with is
    assigned last. Rows must have distinct keys (merge them first) and the
    same columns.
    """
    if not rows:
        return
    # A stable key order keeps concurrent batches from deadlocking.
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    sql, names, positional = _compiled_upsert(
        connection.dialect, table, tuple(rows[0]), tuple(keys), merge)
    if connection.dialect.name == 'postgresql':
        _upsert_values(connection, sql, rows)
        return
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if positional:
            params = [tuple(row[name] for name in names) for row in chunk]
        else:
            params = chunk
        # The statement is compiled once per process: executing it through
        # the driver skips SQLAlchemy's per-row parameter processing, which
        # costs more than the statement itself for these narrow rows.
        connection.exec_driver_sql(sql, params)


def _upsert_values(connection, sql, rows):
    """The upsert as multi-row statements on PostgreSQL.

    psycopg2's executemany sends one statement per row, a round trip
    each; ``execute_values`` sends ``CHUNK`` rows per statement. The rows
    of one statement have distinct keys (the caller merged them), which
    PostgreSQL requires of an ON CONFLICT DO UPDATE.
    """
    from psycopg2 import extras

    statement, template = _values_form(sql)
    with bulk.driver_cursor(connection) as cursor:
        extras.execute_values(cursor, statement, rows, template=template,
                              page_size=CHUNK)


@functools.cache
def _values_form(sql):
    """``INSERT ... VALUES %s ...`` and the ``(%(a)s, ...)`` template of a
    compiled one-row ``INSERT ... VALUES (%(a)s, ...) ...``."""
    match = _VALUES_GROUP.search(sql)
    return (sql[:match.start(1)] + '%s' + sql[match.end(1):],
            match.group(1))


# The row of a compiled psycopg2 INSERT: VALUES (%(a)s, %(b)s, ...).
_VALUES_GROUP = re.compile(r'VALUES (\((?:%\(\w+\)s(?:, )?)+\))')


_COMPILED = {}


def _compiled_upsert(dialect, table, columns, keys, merge):
    """(SQL text, bind names in order, positional?) of an upsert."""
    cache_key = (dialect.name, dialect.paramstyle, table.name, columns,
                 keys, merge)
    found = _COMPILED.get(cache_key)
    if found is not None:
        return found
    if dialect.name == 'mysql':
        statement = mysql.insert(table).values(
            {name: sa.bindparam(name) for name in columns})
        statement = statement.on_duplicate_key_update(
            merge(table.c, statement.inserted))
    else:
        module = postgresql if dialect.name == 'postgresql' else sqlite
        statement = module.insert(table).values(
            {name: sa.bindparam(name) for name in columns})
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_=dict(merge(table.c, statement.excluded)))
    compiled = statement.compile(dialect=dialect)
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else columns
    if not positional:
        extra = set(compiled.binds) - set(columns)
        if extra:
            raise ValueError('upsert of %s binds %s' % (table.name, extra))
    found = _COMPILED[cache_key] = (compiled.string, names, positional)
    return found


def insert_ignore(connection, table, rows, keys):
    """Insert the rows whose key is not stored yet (idempotent insert)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    dialect = connection.dialect.name
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if dialect == 'mysql':
            statement = mysql.insert(table).prefix_with('IGNORE')
        else:
            module = postgresql if dialect == 'postgresql' else sqlite
            statement = module.insert(table).on_conflict_do_nothing(
                index_elements=list(keys))
        connection.execute(statement, chunk)


class AnalysisHandler(base.Handler):
    """A handler whose derived tables can be emptied and rebuilt.

    ``tables`` lists the tables it owns; ``purge_column`` names the
    epoch-microsecond column by which its rows age (see ``purge``).
    """

    tables = ()
    purge_column = None

    def reset(self, connection):
        """Delete every derived row (before ``rebuild`` replays)."""
        for table in self.tables:
            connection.execute(table.delete())

    def purge(self, connection, before, batch_size):
        if self.purge_column is None:
            return 0
        table = self.tables[0]
        column = table.c[self.purge_column]
        pk = list(table.primary_key.columns)[0]
        ids = connection.execute(
            sa.select(pk).where(column < to_us(before))
            .order_by(pk).limit(batch_size)).scalars().all()
        if not ids:
            return 0
        connection.execute(table.delete().where(pk.in_(ids)))
        return len(ids)
