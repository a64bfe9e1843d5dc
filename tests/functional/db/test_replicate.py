"""The query benchmark's month made of copies of a seed day
(``tests.perf.replicate``): what the copy must be follows from its
construction, not from running it. N copies of a seed are N times each
table's rows; copy k's ids are the seed's with the suffix of k, its times
the seed's plus k days; so whatever is computed over copy k's day is what
is computed over the seed's day."""

import datetime
import types

import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.db import api as db_api
from stacktach_ng.queries import summary
from stacktach_ng.queries import timings
from stacktach_ng.simulator import engine
from tests.perf import queries
from tests.perf import replicate

COPIES = 3
DAY = datetime.timedelta(days=1)
SEED_DAY = engine.DEFAULT_START
# Tables an hour of a small cloud always fills (the others may stay
# empty: no failure, no profiler span, no rejected message).
ALWAYS_FILLED = ('notifications', 'notification_ids', 'operations',
                 'requests', 'resources', 'operation_rollups',
                 'request_rollups', 'summary_counts', 'summary_rollups',
                 'usage_exists')


def _seed(conf, tmp_path):
    """Import an hour of simulated traffic (every default handler), with
    its roll-ups settled."""
    options = types.SimpleNamespace(
        seed=11, format='mixed', hosts=3, projects=4, ops_per_hour=200,
        simulate_days=1 / 24.0)
    path = str(tmp_path / 'seed.jsonl.gz')
    queries.simulate(path, options)
    queries.load(conf.database.connection, path)


def _counts(connection):
    return {name: connection.execute(sa.select(sa.func.count())
                                     .select_from(table)).scalar()
            for name, table in replicate.tables().items()
            if name in replicate.PLANS}


def _suffix(k):
    return '-d%03d' % k


def _day_answers(connection, day):
    """The timing summaries and the KPI summary of ``day``, without
    what names the period itself."""
    until = day + DAY
    kpi = summary.summary(connection, day, until, use_rollups=True)
    for key in ('since', 'until', 'buckets'):
        kpi.pop(key)
    return {
        'timings': timings.summary(connection, since=day, until=until,
                                   use_rollups=True),
        'timings by host': timings.summary(
            connection, since=day, until=until,
            group_by=('operation', 'host'), use_rollups=True),
        'kpi': kpi,
    }


def _ended_counts(connection, day):
    """(operation, count, errors) of the operations ended in ``day``,
    read from the operations themselves."""
    rows = timings.summary(connection, since=day, until=day + DAY)
    return [(r['operation'], r['count'], r['errors']) for r in rows]


def test_copies_multiply_rows_rename_ids_and_shift_times(migrated_conf,
                                                         tmp_path):
    _seed(migrated_conf, tmp_path)
    database = db_api.Database(migrated_conf)
    try:
        rollups.roll(database, settle=0)
        with database.reader() as connection:
            seed_counts = _counts(connection)
            seed_answers = _day_answers(connection, SEED_DAY)
            seed_notifications = _notification_times(connection)
            seed_operations = _operation_times(connection)
        for name in ALWAYS_FILLED:
            assert seed_counts[name] > 0, name

        replicate.replicate(database, COPIES)

        with database.reader() as connection:
            assert _counts(connection) == {
                name: COPIES * count for name, count in seed_counts.items()}
            _assert_no_key_collides(connection)
            _assert_shifted(seed_notifications,
                            _notification_times(connection))
            _assert_shifted(seed_operations, _operation_times(connection))
            for k in range(1, COPIES):
                day = SEED_DAY + k * DAY
                assert _day_answers(connection, day) == seed_answers
                # The cells of the copy's day count what its operations
                # count.
                assert [(r['operation'], r['count'], r['errors'])
                        for r in seed_answers['timings']] == \
                    _ended_counts(connection, day)
    finally:
        database.dispose()


def _notification_times(connection):
    table = replicate.tables()['notifications']
    return {row.message_id: (row.generated_at, row.received_at)
            for row in connection.execute(sa.select(
                table.c.message_id, table.c.generated_at,
                table.c.received_at))}


def _operation_times(connection):
    table = replicate.tables()['operations']
    return {(row.scope_id, row.request_id, row.operation, row.attempt):
            (row.start_us, row.end_us)
            for row in connection.execute(sa.select(
                table.c.scope_id, table.c.request_id, table.c.operation,
                table.c.attempt, table.c.start_us, table.c.end_us))}


def _with_suffix(key, k):
    """The seed's key as copy k names it: ids get the suffix, '' (an
    unknown id) and the operation name stay."""
    if isinstance(key, str):
        return key + _suffix(k) if key else key
    return (_with_suffix(key[0], k), _with_suffix(key[1], k)) + key[2:]


def _moved(value, k):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value + k * DAY
    return value + k * 86400 * 1000000


def _assert_shifted(seed, stored):
    expected = dict(seed)
    for k in range(1, COPIES):
        for key, times in seed.items():
            expected[_with_suffix(key, k)] = tuple(_moved(value, k)
                                                   for value in times)
    assert stored == expected


def _assert_no_key_collides(connection):
    """No two rows share a unique key (NULLs never collide), nor two
    notifications a message id."""
    keys = [(name, key)
            for name, table in replicate.tables().items()
            if name in replicate.PLANS
            for key in replicate._unique_keys(table)]
    keys.append(('notifications', ('message_id',)))
    for name, key in keys:
        table = replicate.tables()[name]
        columns = [table.c[column] for column in key]
        duplicated = connection.execute(
            sa.select(*columns).where(*[c.is_not(None) for c in columns])
            .group_by(*columns).having(sa.func.count() > 1)).all()
        assert duplicated == [], (name, key)
