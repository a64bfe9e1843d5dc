"""A month made of copies of one simulated day, inside the database.

``bench queries --simulate-days 1 --replicate-days N`` imports one seed
day through the import pipeline (every default handler), then copies
that day's rows N - 1 times, copy ``k`` shifted by ``k`` whole days, with
one ``INSERT ... SELECT`` per table. Generating and importing a whole
month takes hours; copying a day takes minutes.

Each copy gets identifiers of its own: every column holding a message,
request, resource, instance, image or trace id, and every other column
of a unique key that is not a time, gets the copy's suffix (``-d001``
for copy 1), so copies never collide and each copy's lookups find its
own rows. An empty id ('' stands for "unknown" in the keys) stays empty.
What the copies share on purpose: projects, users, hosts, services,
flavors, event types and error fingerprints, the same cloud all month.
Surrogate integer keys are left to the database. The JSON payloads and
contexts are copied as they are (nothing is looked up in them).

The roll-up tables are copied shifted like the others rather than rolled
again, which is exact because of two properties checked before copying:
the seed's roll-ups are settled (``roll`` with no settling delay leaves
no dirty hour), and every bucketed or period-keyed column of the seed
spans less than a day, so that each copy's hours and day fall in a day of
their own. A cell is a function of the operations, requests or
notifications of its bucket; copy ``k``'s rows of a bucket are exactly
the seed's rows of the bucket ``k`` days earlier, shifted, with the
same durations, hosts and operations, so its cells are the seed's
shifted (the sketches are of durations, which shifting keeps). Rolling
a month again would compute the same cells, slower.

``PLANS`` lists every table of the models and how it is copied; a table
of the database or of the models missing from it makes the copy fail,
and so does a time column (a datetime, or an ``*_us`` column) that a
plan neither shifts nor names as something else than a time.
"""

import datetime
import time

import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.db import models
from stacktach_ng.db import partitions

DAY = datetime.timedelta(days=1)
DAY_US = 86400 * 1000000

# The copy's suffix: fixed width, so that a clipped column can make room.
SUFFIX_FORMAT = '-d%03d'
SUFFIX_LENGTH = len(SUFFIX_FORMAT % 0)


class Plan:
    """How one table is copied.

    ``shift``: time columns moved by the copy's days (datetimes, or
    ``*_us`` microseconds since the epoch); ``rename``: id columns given
    the copy's suffix; ``clip``: id columns of a bounded length whose end
    is replaced by the suffix (a hash: ``error_events.twin_key``);
    ``not_times``: ``*_us`` columns that are not moments (durations,
    widths, a writer's wall clock), copied as they are; ``spans_a_day``:
    columns of a unique key made unique per copy by the shift only, so
    the seed's values must span less than a day (checked). Every other
    column but a surrogate key is copied as it is.
    """

    def __init__(self, shift=(), rename=(), clip=(), not_times=(),
                 spans_a_day=()):
        self.shift = tuple(shift)
        self.rename = tuple(rename)
        self.clip = tuple(clip)
        self.not_times = tuple(not_times)
        self.spans_a_day = tuple(spans_a_day)


#: Tables not copied, and why.
NOT_COPIED = {
    # The liveness of listener processes, not traffic (an import writes
    # none).
    'listener_heartbeats',
}

PLANS = {
    # -- ingest -----------------------------------------------------------
    'notifications': Plan(
        shift=('generated_at', 'received_at'),
        rename=('message_id', 'request_id', 'global_request_id',
                'resource_id', 'conflict_of')),
    'notification_ids': Plan(
        shift=('generated_at',), rename=('message_id',)),
    'rejected_messages': Plan(
        shift=('received_at',), rename=('message_id',)),
    # -- analyses ---------------------------------------------------------
    'resources': Plan(
        shift=('first_us', 'last_us', 'state_us', 'task_us',
               'task_break_us', 'task_since_us'),
        rename=('resource_id', 'state_message_id', 'state_request_id',
                'last_message_id', 'task_message_id',
                'task_break_message_id', 'task_since_message_id')),
    'operations': Plan(
        shift=('start_us', 'end_us'),
        rename=('scope_id', 'request_id', 'resource_id', 'start_message_id',
                'end_message_id')),
    'open_work': Plan(
        shift=('since_us', 'scoped_since_us'),
        # item_key is a resource id or 'request:<request id>': the suffix
        # at its end keeps it equal to the renamed id it is made of.
        rename=('item_key', 'resource_id', 'request_id', 'via_request_id',
                'scoped_via_request_id')),
    'requests': Plan(
        shift=('first_us', 'last_us', 'end_us', 'operation_us'),
        rename=('request_id', 'global_request_id', 'first_message_id')),
    'profiler_spans': Plan(
        shift=('start_us', 'end_us'),
        rename=('trace_id', 'base_id', 'parent_id', 'request_id')),
    'error_events': Plan(
        shift=('generated_us',),
        rename=('message_id', 'request_id', 'resource_id'),
        # A hash of the operation and the request (or resource): the
        # copy's twins must pair among themselves only.
        clip=('twin_key',)),
    'operation_rollups': Plan(
        shift=('bucket_us',), not_times=('width_us', 'min_us', 'max_us'),
        spans_a_day=('bucket_us',)),
    'request_rollups': Plan(
        shift=('bucket_us',), not_times=('width_us', 'min_us', 'max_us'),
        spans_a_day=('bucket_us',)),
    'rollup_dirty_hours': Plan(
        shift=('hour_us',), not_times=('changed_us',),
        spans_a_day=('hour_us',)),
    'summary_counts': Plan(
        shift=('bucket_us',), spans_a_day=('bucket_us',)),
    'summary_rollups': Plan(
        shift=('bucket_us', 'first_us', 'last_us'), not_times=('width_us',),
        spans_a_day=('bucket_us',)),
    # -- usage ------------------------------------------------------------
    'usage_launches': Plan(
        shift=('launched_at', 'effective_at', 'generated_at'),
        rename=('instance_id', 'image_id', 'message_id')),
    'usage_storage': Plan(
        shift=('started_at', 'created_at', 'generated_at'),
        rename=('resource_id', 'message_id')),
    'usage_deletes': Plan(
        shift=('launched_at', 'deleted_at', 'terminated_at',
               'generated_at'),
        rename=('resource_id', 'message_id')),
    'usage_exists': Plan(
        shift=('launched_at', 'deleted_at', 'audit_period_beginning',
               'audit_period_ending', 'generated_at', 'received_at',
               'verified_at', 'claimed_until', 'notified_at'),
        rename=('message_id', 'resource_id', 'image_id')),
    'usage_audit_periods': Plan(
        shift=('beginning', 'ending', 'checked_at'),
        spans_a_day=('beginning', 'ending')),
    'usage_missing': Plan(
        shift=('launched_at', 'audit_period_beginning',
               'audit_period_ending', 'detected_at'),
        rename=('instance_id',)),
}

# Tables of the database that are not tables of the models.
_BOOKKEEPING = {'alembic_version'}


def tables():
    """The models' tables, by name."""
    return {table.name: table for table in models.Base.metadata.sorted_tables}


def check_plans(database_tables=()):
    """Raise ValueError unless every table (of the models and of the
    database, partitions aside) has a plan or is declared not copied,
    and every plan fits its table's columns."""
    known = set(PLANS) | NOT_COPIED
    found = set(tables()) | {
        name for name in database_tables
        if name not in _BOOKKEEPING and not partitions.is_partition(name)}
    unknown = sorted(found - known)
    if unknown:
        raise ValueError('no copy plan for the table(s) %s: say in '
                         'tests/perf/replicate.py how to copy them'
                         % ', '.join(unknown))
    missing = sorted(known - set(tables()))
    if missing:
        raise ValueError('copy plans for tables the models do not have: '
                         '%s' % ', '.join(missing))
    for name, plan in PLANS.items():
        _check_plan(tables()[name], plan)


def _check_plan(table, plan):
    columns = set(table.c.keys())
    named = (plan.shift + plan.rename + plan.clip + plan.not_times
             + plan.spans_a_day)
    unknown = sorted(set(named) - columns)
    if unknown:
        raise ValueError('the copy plan of %s names no such column: %s'
                         % (table.name, ', '.join(unknown)))
    unplanned = sorted(
        column.name for column in table.c
        if _is_time(column) and column.name not in plan.shift
        and column.name not in plan.not_times)
    if unplanned:
        raise ValueError('the copy plan of %s neither shifts nor excludes '
                         'the time column(s) %s'
                         % (table.name, ', '.join(unplanned)))
    changed = set(plan.shift + plan.rename + plan.clip)
    for key in _unique_keys(table):
        if not changed & set(key):
            raise ValueError('the copy plan of %s leaves the unique key '
                             '(%s) as it is: copies would collide'
                             % (table.name, ', '.join(key)))


def _is_time(column):
    return (isinstance(column.type, sa.DateTime)
            or column.name.endswith('_us'))


def _unique_keys(table):
    keys = [tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)]
    primary = [c.name for c in table.primary_key.columns
               if not _is_surrogate(table, c)]
    if primary:
        keys.append(tuple(primary))
    return keys


def _is_surrogate(table, column):
    return (column.primary_key and column.autoincrement is True
            and len(table.primary_key.columns) == 1)


def _copies(count):
    """A derived table (copy, suffix, modifier), one row per copy 1 ..
    count - 1: the day offset, the id suffix and SQLite's date
    modifier."""
    rows = [sa.select(sa.literal_column(str(k)).label('copy'),
                      sa.literal_column("'%s'" % (SUFFIX_FORMAT % k))
                      .label('suffix'),
                      sa.literal_column("'+%d days'" % k).label('modifier'))
            for k in range(1, count)]
    if len(rows) == 1:
        return rows[0].subquery('copies')
    return sa.union_all(*rows).subquery('copies')


def _shifted(dialect, column, copies):
    if column.name.endswith('_us'):
        return column + copies.c.copy * DAY_US
    if dialect == 'postgresql':
        return column + copies.c.copy * sa.literal_column(
            "interval '1 day'", type_=sa.Interval)
    if dialect == 'mysql':
        return sa.func.timestampadd(sa.literal_column('DAY'),
                                    copies.c.copy, column)
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff': its date functions keep
    # milliseconds at best, so only the date is moved and the time of day
    # (a whole-day shift leaves it alone) is kept as written.
    return sa.func.date(column, copies.c.modifier).concat(
        sa.func.substr(column, 11))


def _renamed(column, copies):
    return sa.case((column == '', column),
                   else_=column.concat(copies.c.suffix))


def _clipped(column, copies):
    room = column.type.length - SUFFIX_LENGTH
    return sa.func.substr(column, 1, room).concat(copies.c.suffix)


def copy_statement(table, plan, copies, dialect):
    """``INSERT INTO table SELECT <the seed's rows, once per copy>``."""
    targets, values = [], []
    for column in table.c:
        if _is_surrogate(table, column):
            continue
        if column.name in plan.shift:
            value = _shifted(dialect, column, copies)
        elif column.name in plan.rename:
            value = _renamed(column, copies)
        elif column.name in plan.clip:
            value = _clipped(column, copies)
        else:
            value = column
        targets.append(column.name)
        values.append(value.label(column.name))
    # The seed's rows: the SELECT reads the table as it was when the
    # statement started, before any copy.
    return table.insert().from_select(
        targets, sa.select(*values).select_from(table.join(copies,
                                                           sa.true())))


def check_seed(connection):
    """Raise ValueError unless the seed's roll-ups are settled and its
    period-keyed columns span less than a day."""
    for name, plan in PLANS.items():
        table = tables()[name]
        for column_name in plan.spans_a_day:
            column = table.c[column_name]
            low, high = connection.execute(sa.select(
                sa.func.min(column), sa.func.max(column))).one()
            if low is None:
                continue
            span = high - low
            if span >= (DAY if isinstance(span, datetime.timedelta)
                        else DAY_US):
                raise ValueError(
                    'the seed\'s %s.%s spans a day or more: its copies '
                    'would collide (simulate one day)' % (name,
                                                          column_name))
    dirty = connection.execute(sa.select(sa.func.count()).select_from(
        rollups.DIRTY)).scalar()
    if dirty:
        raise ValueError('the seed has %d unsettled roll-up hours' % dirty)


def seed_day(connection):
    """The first day of the seed's notifications (naive UTC)."""
    first = connection.execute(sa.select(sa.func.min(
        models.Notification.__table__.c.generated_at))).scalar()
    if first is None:
        raise ValueError('the seed holds no notifications')
    return partitions.start_of_day(first)


def replicate(database, days, log=None):
    """Make ``days`` days of the seed day stored in ``database``: settle
    its roll-ups, copy every table, ANALYZE. Returns ``[(step,
    seconds)]``."""
    log = log or (lambda step, seconds: None)
    steps = []

    def timed(step, function):
        started = time.monotonic()
        result = function()
        seconds = time.monotonic() - started
        steps.append((step, seconds))
        log(step, seconds)
        return result

    with database.reader() as connection:
        check_plans(sa.inspect(connection).get_table_names())
    timed('roll the seed', lambda: rollups.roll(database, settle=0))
    with database.reader() as connection:
        check_seed(connection)
        first_day = seed_day(connection)
    timed('day partitions',
          lambda: _ensure_partitions(database, first_day, days))
    if days > 1:
        copies = _copies(days)
        for name in sorted(PLANS):
            timed('copy %s' % name,
                  lambda name=name: _copy_table(database, name, copies))
    timed('analyze', lambda: analyze(database))
    return steps


def _ensure_partitions(database, first_day, days):
    with database.writer() as connection:
        if partitions.is_partitioned(connection, 'notifications'):
            partitions.ensure(connection, 'notifications', first_day, days)


def _copy_table(database, name, copies):
    with database.writer() as connection:
        connection.execute(copy_statement(
            tables()[name], PLANS[name], copies, connection.dialect.name))


def analyze(database):
    """Refresh the planner's statistics of every table."""
    with database.writer() as connection:
        if connection.dialect.name == 'mysql':
            for name in tables():
                connection.exec_driver_sql('ANALYZE TABLE %s' % name)
        else:
            connection.exec_driver_sql('ANALYZE')
