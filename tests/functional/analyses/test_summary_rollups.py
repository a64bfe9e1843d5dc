"""The counts of every project read from the summary roll-ups (whole
hours and days) and the partial hours at the edges, against the stored
notifications counted by the database."""

import datetime

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import counts
from stacktach_ng.analyses import times
from stacktach_ng.db import models
from stacktach_ng.queries import notifications
from stacktach_ng.queries import summary
from stacktach_ng.retention import purge
from tests.functional.analyses import fixtures
from tests.functional.analyses import test_rollups

_NOTIFICATIONS = models.Notification.__table__
_START = test_rollups._START
_WINDOWS = [
    # (since, until) in minutes after the start: within an hour, edges
    # on 5-minute buckets, whole days, the whole history.
    (10, 50), (35, 7 * 60 + 25), (0, 24 * 60), (-60, 50 * 60),
    (23 * 60 + 5, 48 * 60 + 5), (None, None), (None, 30 * 60),
    (20 * 60, None)]


def _at(minutes):
    if minutes is None:
        return None
    return _START + datetime.timedelta(minutes=minutes)


@pytest.fixture
def loaded(migrated_conf):
    database = fixtures.load(migrated_conf, test_rollups._messages(
        count=4000, ops_per_hour=3), batch_size=97)
    yield database
    database.dispose()


def _failed(table):
    return sa.or_(table.c.priority.in_(('ERROR', 'CRITICAL')),
                  table.c.event_type.like('%.error'))


def _counted(connection, column, since, until):
    """{name: (notifications, errors)} of the notifications stored in
    [since, until), by the database."""
    table = _NOTIFICATIONS
    key = sa.func.coalesce(table.c[column], '')
    return {name: (count, int(errors)) for name, count, errors in
            connection.execute(sa.select(
                key, sa.func.count(),
                sa.func.sum(sa.case((_failed(table), 1), else_=0)))
                .where(table.c.generated_at >= since,
                       table.c.generated_at < until).group_by(key))}


@pytest.mark.parametrize('column', notifications.COUNTED_COLUMNS)
def test_counts_by_value_are_those_of_the_notifications(loaded, column):
    with loaded.reader() as connection:
        for since, until in _WINDOWS:
            rolled = notifications.count_by(
                connection, column, since=_at(since), until=_at(until),
                limit=1000, use_rollups=True)
            # The same counted from the notifications by the database.
            exact = notifications.count_by(
                connection, column, since=_at(since), until=_at(until),
                limit=1000)
            assert rolled == exact, (since, until)
            assert exact[0]
            # Pages of 3 after a marker give the same items.
            marker = exact[0][1][column]
            assert notifications.count_by(
                connection, column, since=_at(since), until=_at(until),
                marker=marker, limit=3, use_rollups=True) == (
                exact[0][2:5], len(exact[0]) > 5)


@pytest.mark.parametrize('bucket', [3600, 86400, 300])
def test_summary_counts_are_those_of_the_notifications(loaded, bucket):
    # Edges on the 5-minute buckets of ``summary_counts`` (``[analysis]
    # summary_bucket``): a bucket counts when it starts in the period.
    with loaded.reader() as connection:
        for since, until in [(35, 7 * 60 + 25), (0, 24 * 60),
                             (-60, 50 * 60), (23 * 60 + 5, 48 * 60 + 5)]:
            since, until = _at(since), _at(until)
            body = summary.summary(connection, since, until, bucket=bucket)
            for dimension in ('service', 'host', 'event_type'):
                want = _counted(connection, dimension, since, until)
                got = {item[dimension] or '': (item['notifications'],
                                               item['errors'])
                       for item in body['by_' + dimension]}
                assert got == want, (dimension, since, until)
            total = sum(count for count, _errors in _counted(
                connection, 'service', since, until).values())
            assert body['notifications'] == total
            table = _NOTIFICATIONS
            series = []
            start = since - datetime.timedelta(
                seconds=(since - datetime.datetime(1970, 1, 1))
                .total_seconds() % bucket)
            while start < until:
                end = start + datetime.timedelta(seconds=bucket)
                count = connection.execute(sa.select(sa.func.count()).where(
                    table.c.generated_at >= max(start, since),
                    table.c.generated_at < min(end, until))).scalar()
                if count:
                    series.append((start, count))
                start = end
            assert [(item['start'], item['notifications'])
                    for item in body['buckets']] == series


def test_purge_keeps_a_bucket_the_cutoff_cuts(migrated_conf, loaded):
    now = _START + datetime.timedelta(hours=60)
    older_than = datetime.timedelta(hours=30, minutes=30)
    purge.run(migrated_conf, loaded, kinds=[purge.NOTIFICATIONS],
              older_than=older_than, batch_size=100, now=now)
    # The cutoff is 05:30 on the second day: its hour and its day are
    # kept whole, every bucket that ended before it is gone.
    cutoff = times.to_us(now - older_than)
    rollups = counts.ROLLUPS
    with loaded.reader() as connection:
        kept = connection.execute(sa.select(
            rollups.c.width_us, rollups.c.bucket_us).distinct()).all()
    assert kept
    assert all(bucket + width > cutoff for width, bucket in kept)
    assert (counts.HOUR_US, cutoff - 30 * 60 * 10 ** 6) in kept
    assert (counts.DAY_US, cutoff - 5 * counts.HOUR_US
            - 30 * 60 * 10 ** 6) in kept


def test_hourly_summary_breakdowns_read_the_day_cells(loaded):
    # With an hourly series, the breakdowns of a whole day come from its
    # day cells: with the day's hour cells of the event types and hosts
    # deleted (the series reads the services' only), the breakdowns are
    # still those counted from the notifications.
    since, until = _at(-60), _at(50 * 60)
    day = times.to_us(_START)
    rollups = counts.ROLLUPS
    with loaded.writer() as connection:
        deleted = connection.execute(rollups.delete().where(
            rollups.c.width_us == counts.HOUR_US,
            rollups.c.bucket_us >= day,
            rollups.c.bucket_us < day + counts.DAY_US,
            rollups.c.dimension != counts.SERVICE)).rowcount
    assert deleted
    with loaded.reader() as connection:
        body = summary.summary(connection, since, until, bucket=3600)
        for dimension in ('service', 'host', 'event_type'):
            want = _counted(connection, dimension, since, until)
            got = {item[dimension] or '': (item['notifications'],
                                           item['errors'])
                   for item in body['by_' + dimension]}
            assert got == want, dimension
        assert body['notifications'] == sum(
            count for count, _errors in _counted(
                connection, 'service', since, until).values())
