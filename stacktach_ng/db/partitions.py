"""Daily range partitions of the tables that grow with traffic, on
PostgreSQL.

A partitioned table (``notifications``, see its model) has:

* a partition per UTC day, ``<table>_pYYYYMMDD``, covering
  ``[day, day + 1)`` of its time column; the services create them some
  days ahead (``ensure``, ``[retention] partition_days_ahead``);
* a default partition, ``<table>_default``, for the rows no day
  partition covers: a notification dated years away, or a day nobody
  created ahead. Creating that day's partition later moves its rows out
  of the default one first, as PostgreSQL requires;
* after the migration from the unpartitioned layout, the old table
  itself as ``<table>_history``, covering everything before the first
  day partition, until the purge drops it.

``keep_ahead`` creates the days from today to ``[retention]
partition_days_ahead`` ahead: ``migration.upgrade`` calls it once at head,
the listener when it starts and every ``MAINTENANCE_INTERVAL`` seconds;
``stacktach-ng-status upgrade check`` reports ``missing_ahead``.

A purge drops a partition whose whole range is older than the cut-off
(``drop_oldest``): the space goes back to the system at once, with no
dead rows left for vacuum and no index bloat, where a batch delete of the
same day leaves both. What the drops cannot reach (the day's message ids
in ``notification_ids``, the day the cut-off falls in, strays in the
default partition) is deleted as on the other backends, but for the ids
of a dropped day, which go in one statement (see the notifications
handler's purge).

On SQLite and MySQL/MariaDB nothing here applies (``is_partitioned`` is
False): MySQL would allow range partitions only with the time in every
unique key, which ``notification_ids`` makes possible, but managing them
(REORGANIZE of a catch-all partition) is left out; its purge deletes in
batches.
"""

import collections
import datetime
import re

import sqlalchemy as sa
from oslo_log import log as logging

from stacktach_ng.common import timestamps

LOG = logging.getLogger(__name__)

DAY = datetime.timedelta(days=1)

# The tables partitioned by day, and the column they are partitioned by.
TIME_COLUMNS = {'notifications': 'generated_at'}

# Partition DDL of one table waits for this transaction-level advisory
# lock: listeners on several hosts create the same days at the same time.
_LOCK_KEY = 0x5374616b  # 'Stak'

# DDL on a partitioned table waits for every transaction using the table;
# a bounded wait keeps ingest from queueing behind it. The caller tries
# again later (the next purge, the next maintenance round).
LOCK_TIMEOUT = '10s'

Partition = collections.namedtuple('Partition', 'name lower upper default')

_BOUNDS = re.compile(r"FROM \((.+)\) TO \((.+)\)")


def is_partitioned(connection, table):
    """Whether ``table`` (a name) is a partitioned table here."""
    if connection.dialect.name != 'postgresql':
        return False
    return connection.execute(sa.text(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c "
        "ON c.oid = p.partrelid WHERE c.relname = :table "
        "AND pg_table_is_visible(c.oid)"), {'table': table}).first() \
        is not None


def _bound(text):
    text = text.strip()
    if text in ('MINVALUE', 'MAXVALUE'):
        return None
    return datetime.datetime.fromisoformat(text.strip("'"))


def partitions(connection, table):
    """The partitions of ``table``, oldest first, the default one last.

    ``lower``/``upper`` are naive UTC datetimes, None for MINVALUE and
    MAXVALUE.
    """
    rows = connection.execute(sa.text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = CAST(:table AS regclass)"),
        {'table': table}).all()
    found = []
    for name, bound in rows:
        if bound == 'DEFAULT':
            found.append(Partition(name, None, None, True))
            continue
        lower, upper = _BOUNDS.search(bound).groups()
        found.append(Partition(name, _bound(lower), _bound(upper), False))
    return sorted(found, key=lambda p: (
        p.default, p.lower or datetime.datetime.min))


_PARTITION_NAME = re.compile(r'^(%s)_(p\d{8}|default|history)$' % '|'.join(
    TIME_COLUMNS))


def is_partition(name):
    """Whether a table name is one of a partition (which the models do
    not list)."""
    return _PARTITION_NAME.match(name) is not None


def day_name(table, day):
    return '%s_p%s' % (table, day.strftime('%Y%m%d'))


def _covered(existing, day):
    """Whether a range partition covers any part of ``[day, day + 1)``."""
    end = day + DAY
    return any(not p.default
               and (p.lower is None or p.lower < end)
               and (p.upper is None or p.upper > day)
               for p in existing)


def start_of_day(moment):
    return datetime.datetime.combine(moment.date(), datetime.time())


def missing_days(connection, table, first_day, days):
    """The days of ``[first_day, first_day + days)`` no partition covers."""
    existing = partitions(connection, table)
    first_day = start_of_day(first_day)
    return [first_day + n * DAY for n in range(days)
            if not _covered(existing, first_day + n * DAY)]


def _lock(connection):
    connection.exec_driver_sql("SET LOCAL lock_timeout = '%s'"
                               % LOCK_TIMEOUT)
    connection.execute(sa.text('SELECT pg_advisory_xact_lock(:key)'),
                       {'key': _LOCK_KEY})


def ensure(connection, table, first_day, days):
    """Create the missing day partitions of ``[first_day, first_day +
    days)`` of ``table``; returns their names.

    A day whose rows went to the default partition meanwhile gets them
    moved into its own partition.
    """
    _lock(connection)
    column = TIME_COLUMNS[table]
    existing = partitions(connection, table)
    default = next((p.name for p in existing if p.default), None)
    created = []
    for day in missing_days(connection, table, first_day, days):
        name = day_name(table, day)
        bounds = {'lower': day, 'upper': day + DAY}
        # Created detached and attached once filled: a partition cannot
        # be created while the default one holds rows of its range.
        connection.exec_driver_sql(
            'CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS)' % (name, table))
        if default is not None:
            connection.execute(sa.text(
                'WITH moved AS (DELETE FROM %(default)s WHERE %(column)s >= '
                ':lower AND %(column)s < :upper RETURNING *) '
                'INSERT INTO %(name)s SELECT * FROM moved' % {
                    'default': default, 'column': column, 'name': name}),
                bounds)
        connection.execute(sa.text(
            'ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (:lower) '
            'TO (:upper)' % (table, name)), bounds)
        created.append(name)
    if created:
        LOG.info('Created the partitions %s of %s', ', '.join(created),
                 table)
    return created


def drop_oldest(connection, table, before):
    """Drop the oldest range partition of ``table`` that holds nothing
    from ``before`` on; returns its name, or None when there is none.

    The rows are not counted: that would read the whole partition, most
    of the time of a drop. The history partition (the table as it was
    before partitioning) is dropped too once it is entirely older; what
    is dated before the first day partition from then on goes to the
    default partition.
    """
    _lock(connection)
    candidates = [p for p in partitions(connection, table)
                  if not p.default and p.upper is not None
                  and p.upper <= before]
    if not candidates:
        return None
    oldest = candidates[0]
    connection.exec_driver_sql('DROP TABLE %s' % oldest.name)
    LOG.info('Dropped the partition %s of %s', oldest.name, table)
    return oldest.name


# Seconds between two rounds of partition maintenance in the listener.
MAINTENANCE_INTERVAL = 3600


def _days(conf):
    # Today and the days ahead.
    return conf.retention.partition_days_ahead + 1


def keep_ahead(conf, database, now=None):
    """Create the missing day partitions from today to ``[retention]
    partition_days_ahead`` days ahead; returns their names."""
    today = start_of_day(now or timestamps.utcnow())
    created = []
    with database.writer() as connection:
        for table in TIME_COLUMNS:
            if is_partitioned(connection, table):
                created += ensure(connection, table, today, _days(conf))
    return created


def missing_ahead(conf, database, now=None):
    """``{table: [day, ...]}`` of the days from today to ``[retention]
    partition_days_ahead`` that no partition covers yet."""
    today = start_of_day(now or timestamps.utcnow())
    missing = {}
    with database.reader() as connection:
        for table in TIME_COLUMNS:
            if is_partitioned(connection, table):
                days = missing_days(connection, table, today, _days(conf))
                if days:
                    missing[table] = days
    return missing
