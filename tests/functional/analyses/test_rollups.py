"""The timing summary read from the hourly roll-ups against the one read
from every operation, on each backend."""

import datetime

import pytest

from stacktach_ng.analyses import rollups
from stacktach_ng.queries import timings
from stacktach_ng.simulator import engine
from tests.functional.analyses import fixtures

_START = datetime.datetime(2026, 3, 1, 0, 0, 0)
_EXACT = ('count', 'errors', 'min_us', 'max_us')


def _messages():
    # About ten hours of a small cloud, with failures.
    simulator = engine.Simulator(seed=11, start=_START, fmt='both',
                                 failure_rate=0.2, stuck_rate=0.02,
                                 ops_per_hour=10)
    return list(simulator.messages(count=3000))


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
def test_rolled_up_summary_is_the_exact_one(migrated_conf, since_minutes,
                                            until_minutes):
    database = fixtures.load(migrated_conf, _messages(), batch_size=97)
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
