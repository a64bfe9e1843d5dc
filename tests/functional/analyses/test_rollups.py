"""The timing summary read from the hourly roll-ups against the one read
from every operation, on each backend."""

import datetime

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.analyses import times
from stacktach_ng.conf import listener as listener_opts
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.queries import timings
from stacktach_ng.replay import rebuild as rebuild_command
from stacktach_ng.retention import purge
from stacktach_ng.simulator import engine
from tests.functional.analyses import fixtures
from tests.functional.analyses import test_analyses

_START = datetime.datetime(2026, 3, 1, 0, 0, 0)
_EXACT = ('count', 'errors', 'min_us', 'max_us')


def _messages():
    # About ten hours of a small cloud, with failures.
    simulator = engine.Simulator(seed=11, start=_START, fmt='both',
                                 failure_rate=0.2, stuck_rate=0.02,
                                 ops_per_hour=10)
    return list(simulator.messages(count=3000))


@pytest.fixture
def rollups_conf(migrated_conf):
    """The default handlers and ``rollups`` after ``timings``."""
    names = list(listener_opts.DEFAULT_HANDLERS)
    names.insert(names.index('timings') + 1, 'rollups')
    migrated_conf.set_override('handlers', names, 'listener')
    return migrated_conf


def _rolled_up(database):
    snapshot = fixtures.snapshot(database)
    return {name: snapshot[name] for name in ('operation_hours',
                                              'operation_hour_members')}


def test_order_duplicates_and_rebuild_give_the_same_rollups(rollups_conf):
    messages = _messages()
    database = fixtures.load(rollups_conf, messages, batch_size=100)
    try:
        expected = _rolled_up(database)
        assert expected['operation_hours']
        orders = {
            'reversed': (list(reversed(messages)), 113),
            'shuffled': (test_analyses._windows_shuffled(messages, 200, 1),
                         50),
            'duplicates': (test_analyses._with_duplicates(messages, 0.05, 2),
                           97),
        }
        for name, (ordered, batch_size) in orders.items():
            fixtures.empty(database, rollups_conf)
            fixtures.load(rollups_conf, ordered,
                          batch_size=batch_size).dispose()
            assert _rolled_up(database) == expected, name
        handlers = [h for h in pipeline.load_handlers(rollups_conf)
                    if h.name == 'rollups']
        rebuild_command.rebuild_handlers(database, handlers, chunk_size=150)
        assert _rolled_up(database) == expected
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


@pytest.mark.parametrize('since_minutes,until_minutes', [
    (17, 7 * 60 + 41), (0, 9 * 60), (-30, 30 * 60), (125, 185)])
def test_rolled_up_summary_is_the_exact_one(rollups_conf, since_minutes,
                                            until_minutes):
    database = fixtures.load(rollups_conf, _messages(), batch_size=97)
    since = _START + datetime.timedelta(minutes=since_minutes)
    until = _START + datetime.timedelta(minutes=until_minutes)
    try:
        with database.reader() as connection:
            assert connection.execute(
                rollups.HOURS.select().limit(1)).first() is not None
            cases = [dict(group_by=('operation',)),
                     dict(group_by=('operation', 'host', 'service')),
                     dict(group_by=('host',), bucket=3600),
                     dict(group_by=('service',), bucket=7200),
                     dict(group_by=('operation',),
                          operation='instance.create')]
            project = timings.list_operations(connection, limit=1)[0][0][
                'project_id']
            cases.append(dict(group_by=('operation',), project_id=project))
            compared = 0
            for case in cases:
                exact = timings.summary(connection, since=since,
                                        until=until, **case)
                rolled = timings.summary(connection, since=since,
                                         until=until, use_rollups=True,
                                         **case)
                _close(rolled, exact)
                compared += sum(item['count'] for item in exact)
            assert compared
    finally:
        database.dispose()


def test_purge_deletes_the_hours_before_the_cutoff(rollups_conf):
    database = fixtures.load(rollups_conf, _messages(), batch_size=500)
    now = _START + datetime.timedelta(hours=30)
    try:
        purge.run(rollups_conf, database, kinds=[purge.NOTIFICATIONS],
                  older_than=datetime.timedelta(hours=25), batch_size=100,
                  now=now)
        cutoff = rollups.hour_of(times.to_us(now) - 25 * rollups.HOUR_US)
        with database.reader() as connection:
            for table in (rollups.HOURS, rollups.MEMBERS):
                hours = connection.execute(
                    sa.select(table.c.hour_us)).scalars().all()
                assert hours and min(hours) >= cutoff, table.name
    finally:
        database.dispose()
