"""The roll-ups of the operations on each backend: the cells are a
function of the stored operations whatever the order, the batches and
the rolls in between, and the timing summary read from them is the one
read from every operation."""

import datetime
import random

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import periods
from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.queries import summary
from stacktach_ng.queries import timings
from stacktach_ng.replay import rebuild as rebuild_command
from stacktach_ng.retention import purge
from stacktach_ng.simulator import engine
from tests import captures
from tests import reschedule
from tests.functional.analyses import fixtures
from tests.functional.analyses import test_analyses

_START = datetime.datetime(2026, 3, 1, 0, 0, 0)
_TABLES = ('operation_rollups', 'request_rollups', 'rollup_dirty_hours')


def _messages(count=3000, ops_per_hour=10):
    # A small cloud with failures and stuck operations, legacy and
    # versioned twins: with 10 operations an hour, 3,000 notifications
    # are about ten hours; with 3 an hour, 4,000 are about two days.
    simulator = engine.Simulator(seed=11, start=_START, fmt='both',
                                 failure_rate=0.2, stuck_rate=0.02,
                                 ops_per_hour=ops_per_hour)
    return list(simulator.messages(count=count))


def _cells(database):
    return fixtures.snapshot(database, _TABLES)


def test_order_duplicates_rolls_and_rebuild_give_the_same_cells(
        migrated_conf):
    messages = _messages()
    database = fixtures.load(migrated_conf, messages, batch_size=100)
    try:
        expected = _cells(database)
        assert expected['operation_rollups']
        assert expected['request_rollups']
        assert not expected['rollup_dirty_hours']
        orders = {
            'reversed': (list(reversed(messages)), 113),
            'shuffled': (test_analyses._windows_shuffled(messages, 200, 1),
                         50),
            'duplicates': (test_analyses._with_duplicates(messages, 0.05, 2),
                           97),
        }
        for name, (ordered, batch_size) in orders.items():
            fixtures.empty(database, migrated_conf)
            fixtures.load(migrated_conf, ordered,
                          batch_size=batch_size).dispose()
            assert _cells(database) == expected, name
        # Rolled up between loads: every third of a shuffled order is
        # loaded and rolled before the next, so later notifications move
        # operations of hours already rolled up (a start that lengthens
        # a duration, an end that replaces its twin, a failure).
        shuffled = list(messages)
        random.Random(5).shuffle(shuffled)
        fixtures.empty(database, migrated_conf)
        third = len(shuffled) // 3
        for start in (0, third, 2 * third):
            end = start + third if start < 2 * third else len(shuffled)
            fixtures.load(migrated_conf, shuffled[start:end],
                          batch_size=71).dispose()
        assert _cells(database) == expected
        handlers = [h for h in pipeline.load_handlers(migrated_conf)
                    if h.name in ('timings', 'rollups')]
        rebuild_command.rebuild_handlers(database, handlers, chunk_size=150)
        assert _cells(database) == expected
    finally:
        database.dispose()


def test_a_reschedule_split_after_a_roll_is_counted_in_its_attempts(
        migrated_conf):
    # Nova's real reschedule (tests/fixtures/openstack): stored up to the
    # first host's failure, the boot is one failed operation; rolled up
    # then, and the rest of the boot stored, it is two attempts, as Nova
    # recorded (tests/reschedule.py checks them against Nova's records).
    bodies = captures.messages('reschedule')
    failed_at = next(index for index, body in enumerate(bodies)
                     if body['event_type'] == 'compute.instance.create.error')
    database = fixtures.load(migrated_conf, bodies[:failed_at + 1])
    try:
        fixtures.load(migrated_conf, bodies[failed_at + 1:]).dispose()
        reschedule.check_attempts(database)
        rolled = _cells(database)
        with database.reader() as connection:
            creates = connection.execute(sa.select(
                rollups.ROLLUPS.c.count, rollups.ROLLUPS.c.errors).where(
                rollups.ROLLUPS.c.operation == 'instance.create',
                rollups.ROLLUPS.c.all_hosts.is_(True),
                rollups.ROLLUPS.c.width_us == rollups.DAY_US)).all()
        # The two attempts: one failed on compute1, one succeeded.
        assert [tuple(row) for row in creates] == [(2, 1)]
        fixtures.empty(database, migrated_conf)
        fixtures.load(migrated_conf, bodies).dispose()
        assert _cells(database) == rolled
    finally:
        database.dispose()


def _close(rolled, exact):
    assert [{k: v for k, v in item.items() if k not in (
        'p50_us', 'p95_us', 'p99_us')} for item in rolled] == [
        {k: v for k, v in item.items() if k not in (
            'p50_us', 'p95_us', 'p99_us')} for item in exact]
    for got, want in zip(rolled, exact, strict=True):
        for name in ('p50_us', 'p95_us', 'p99_us'):
            if want[name] is None:
                assert got[name] is None
            else:
                assert abs(got[name] - want[name]) <= 0.01 * abs(
                    want[name]), (got, want)


_CASES = [dict(group_by=('operation',)),
          dict(group_by=('operation', 'host', 'service')),
          dict(group_by=('host',), bucket=3600),
          dict(group_by=('service',), bucket=7200),
          dict(group_by=('operation',), bucket=86400),
          dict(group_by=('operation',), operation='instance.create')]


def _compare(connection, since, until):
    """Compare the summary and the request latency from the roll-ups with
    the exact ones for every case; return how many operations were
    compared."""
    rolled = summary.request_latency(connection, since, until,
                                     use_rollups=True)
    exact = summary.request_latency(connection, since, until)
    _close(rolled, exact)
    compared = 0
    project = timings.list_operations(connection, limit=1)[0][0][
        'project_id']
    for case in _CASES + [dict(group_by=('operation',),
                               project_id=project)]:
        exact = timings.summary(connection, since=since, until=until,
                                **case)
        rolled = timings.summary(connection, since=since, until=until,
                                 use_rollups=True, **case)
        _close(rolled, exact)
        compared += sum(item['count'] for item in exact)
    return compared


@pytest.mark.parametrize('since_minutes,until_minutes', [
    (17, 7 * 60 + 41), (0, 9 * 60), (-30, 30 * 60), (125, 185),
    # Whole days and the hours around them (about two days of traffic).
    (0, 24 * 60), (-60, 50 * 60), (23 * 60 + 5, 48 * 60 + 1)])
def test_rolled_up_summary_is_the_exact_one(migrated_conf, since_minutes,
                                            until_minutes):
    database = fixtures.load(migrated_conf,
                             _messages(count=4000, ops_per_hour=3),
                             batch_size=97)
    since = _START + datetime.timedelta(minutes=since_minutes)
    until = _START + datetime.timedelta(minutes=until_minutes)
    try:
        with database.reader() as connection:
            assert connection.execute(
                rollups.ROLLUPS.select().where(
                    rollups.ROLLUPS.c.width_us == rollups.DAY_US)
                .limit(1)).first() is not None
            assert _compare(connection, since, until)
    finally:
        database.dispose()


def test_marked_hours_are_read_from_the_operations(migrated_conf):
    # Loaded without a roll, every hour is marked and nothing is rolled
    # up: the summary is the exact one to the microsecond. Then a roll of
    # the first five hours only: cells there, operations after.
    messages = _messages()
    database = fixtures.load(migrated_conf, messages, roll=False)
    since, until = _START, _START + datetime.timedelta(hours=12)
    try:
        with database.reader() as connection:
            assert not connection.execute(
                rollups.ROLLUPS.select().limit(1)).first()
            for case in _CASES:
                assert timings.summary(
                    connection, since=since, until=until, use_rollups=True,
                    **case) == timings.summary(
                        connection, since=since, until=until, **case)
            assert summary.request_latency(
                connection, since, until, use_rollups=True) == \
                summary.request_latency(connection, since, until)
        five = times.to_us(_START) + 5 * rollups.HOUR_US
        with database.writer() as connection:
            marked = connection.execute(sa.select(
                rollups.DIRTY.c.hour_us, rollups.DIRTY.c.version).where(
                rollups.DIRTY.c.hour_us < five)).all()
            for hour, version in marked:
                assert rollups.roll_hour(connection, hour, version)
        with database.reader() as connection:
            assert rollups.dirty_hours(connection, 0, five) == set()
            assert rollups.dirty_hours(
                connection, five, times.to_us(until))
            assert _compare(connection, since, until)
    finally:
        database.dispose()


def test_a_mark_changed_during_a_roll_stays(migrated_conf):
    database = fixtures.load(migrated_conf, _messages(count=300),
                             roll=False)
    try:
        with database.writer() as connection:
            hour, version = connection.execute(sa.select(
                rollups.DIRTY.c.hour_us, rollups.DIRTY.c.version)
                .order_by(rollups.DIRTY.c.hour_us)).first()
            # A batch marked the hour again after the roller read it.
            rollups.mark(connection, [hour])
            assert not rollups.roll_hour(connection, hour, version)
        with database.reader() as connection:
            assert rollups.dirty_hours(connection, hour, hour + 1) == {hour}
    finally:
        database.dispose()


def test_settle_leaves_recent_marks(migrated_conf):
    database = fixtures.load(migrated_conf, _messages(count=300),
                             roll=False)
    try:
        with database.reader() as connection:
            marked = rollups.dirty_hours(connection, 0, 2 ** 62)
        assert marked
        # Just marked: not settled for a minute.
        assert rollups.roll(database, settle=60) == 0
        assert rollups.roll(database, settle=60,
                            now_us=int(1e6) * 10 ** 10) == len(marked)
    finally:
        database.dispose()


def test_purge_deletes_the_cells_before_the_cutoff(migrated_conf):
    database = fixtures.load(migrated_conf, _messages(count=4000,
                                                      ops_per_hour=3),
                             batch_size=500)
    now = _START + datetime.timedelta(hours=60)
    older_than = datetime.timedelta(hours=25, minutes=30)
    try:
        purge.run(migrated_conf, database, kinds=[purge.NOTIFICATIONS],
                  older_than=older_than, batch_size=100, now=now)
        cutoff = times.to_us(now - older_than)
        with database.reader() as connection:
            buckets = connection.execute(
                sa.select(rollups.ROLLUPS.c.bucket_us)).scalars().all()
            assert buckets and min(buckets) >= cutoff
            # What is left of the cutoff's day is rolled up again.
            day = periods.day_of(cutoff)
            assert rollups.dirty_hours(connection, day, day + rollups.DAY_US
                                       ) == set(range(
                                           periods.hour_of(cutoff),
                                           day + rollups.DAY_US,
                                           rollups.HOUR_US))
        rollups.roll(database)
        with database.reader() as connection:
            since = now - older_than + datetime.timedelta(minutes=30)
            assert _compare(connection, since, now)
    finally:
        database.dispose()
