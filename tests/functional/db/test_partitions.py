"""Day partitions of the notifications on PostgreSQL, the purge that
drops them, and the migration from the unpartitioned layout (on every
backend: the ids move to ``notification_ids``)."""

import datetime

import pytest
import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.db import partitions
from stacktach_ng.handlers import notifications as notifications_handler
from stacktach_ng.retention import purge
from tests import base
from tests.functional import services

NOTIFICATIONS = models.Notification.__table__
IDS = models.NotificationId.__table__
DAY = datetime.timedelta(days=1)
# A day far from today, so that the partitions the upgrade creates ahead
# are not in the way.
DAY0 = datetime.datetime(2026, 3, 1)


def _row(message_id, generated_at):
    return {
        'message_id': message_id, 'event_type': 'compute.instance.update',
        'priority': 'INFO', 'publisher_id': 'compute.host-1',
        'service': 'compute', 'host': 'host-1',
        'generated_at': generated_at, 'received_at': generated_at,
        'payload': '{}', 'context': '{}',
    }


@pytest.fixture
def postgresql(tmp_path):
    database = services.TestDatabase('postgresql', tmp_path)
    conf = base.make_conf(database.create())
    db = db_api.Database(conf)
    migration.upgrade(db)
    yield conf, db
    db.dispose()
    database.drop()


def _counts(connection, table):
    return {name: connection.exec_driver_sql(
        'SELECT count(*) FROM %s' % name).scalar_one()
        for name in (p.name for p in partitions.partitions(connection,
                                                           table))}


def test_created_day_takes_its_rows_from_the_default(postgresql):
    conf, database = postgresql
    rows = [_row('m-%d' % n, DAY0 + n * datetime.timedelta(hours=9))
            for n in range(8)]   # 3 days: 0, 0, 0, 1, 1, 1, 2, 2
    with database.writer() as connection:
        connection.execute(NOTIFICATIONS.insert(), rows)
        assert _counts(connection, 'notifications')[
            'notifications_default'] == 8
    with database.writer() as connection:
        created = partitions.ensure(connection, 'notifications', DAY0, 2)
    assert created == ['notifications_p20260301', 'notifications_p20260302']
    with database.reader() as connection:
        counts = _counts(connection, 'notifications')
        assert counts['notifications_p20260301'] == 3
        assert counts['notifications_p20260302'] == 3
        assert counts['notifications_default'] == 2
        # Every row is still there, once.
        assert connection.execute(sa.select(sa.func.count()).select_from(
            NOTIFICATIONS)).scalar_one() == 8
    # Ensuring again creates nothing.
    with database.writer() as connection:
        assert partitions.ensure(connection, 'notifications', DAY0, 2) == []


def test_purge_drops_whole_days_and_deletes_the_rest(postgresql):
    conf, database = postgresql
    with database.writer() as connection:
        partitions.ensure(connection, 'notifications', DAY0, 5)
    rows = [_row('m-%02d' % n, DAY0 + n * datetime.timedelta(hours=6))
            for n in range(20)]   # 4 a day over 5 days
    # A stray row long before the first day lands in the default one.
    rows.append(_row('old', DAY0 - 300 * DAY))
    handler = notifications_handler.NotificationsHandler(conf)
    with database.writer() as connection:
        for row in rows:
            notifications_handler.store_rows(connection, [row])
    # Two days and a half: days 0 and 1 dropped, half of day 2 deleted.
    now = DAY0 + 2 * DAY + datetime.timedelta(hours=12)
    results = purge.run(conf, database, kinds=[purge.NOTIFICATIONS],
                        older_than=datetime.timedelta(0), now=now,
                        handlers=[handler])
    assert results[purge.NOTIFICATIONS].deleted == 11
    with database.reader() as connection:
        names = [p.name for p in partitions.partitions(connection,
                                                       'notifications')]
        kept = sorted(connection.execute(
            sa.select(NOTIFICATIONS.c.message_id)).scalars())
        kept_ids = sorted(connection.execute(
            sa.select(IDS.c.message_id)).scalars())
    assert 'notifications_p20260301' not in names
    assert 'notifications_p20260302' not in names
    assert 'notifications_p20260303' in names
    expected = ['m-%02d' % n for n in range(10, 20)]
    assert kept == expected
    assert kept_ids == expected


def test_purge_deletes_in_batches_elsewhere(migrated_conf):
    """The same purge on every backend (batch deletes where nothing is
    partitioned): the same rows and ids are left."""
    database = db_api.Database(migrated_conf)
    handler = notifications_handler.NotificationsHandler(migrated_conf)
    rows = [_row('m-%02d' % n, DAY0 + n * datetime.timedelta(hours=6))
            for n in range(20)]
    try:
        with database.writer() as connection:
            notifications_handler.store_rows(connection, rows)
        results = purge.run(
            migrated_conf, database, kinds=[purge.NOTIFICATIONS],
            older_than=datetime.timedelta(0), batch_size=3,
            now=DAY0 + 2 * DAY + datetime.timedelta(hours=12),
            handlers=[handler])
        assert results[purge.NOTIFICATIONS].deleted == 10
        with database.reader() as connection:
            kept = sorted(connection.execute(
                sa.select(NOTIFICATIONS.c.message_id)).scalars())
            kept_ids = sorted(connection.execute(
                sa.select(IDS.c.message_id)).scalars())
        expected = ['m-%02d' % n for n in range(10, 20)]
        assert (kept, kept_ids) == (expected, expected)
    finally:
        database.dispose()


def test_upgrade_of_a_filled_table(database_url):
    """0007 on a database holding notifications: every id in
    ``notification_ids``, a redelivery still a duplicate; on PostgreSQL
    the old rows in the history partition and a row dated ahead moved
    out of it."""
    database = db_api.Database(base.make_conf(database_url))
    migration.upgrade(database, revision='0006')
    today = partitions.start_of_day(datetime.datetime.now(
        datetime.timezone.utc).replace(tzinfo=None))
    old = [_row('old-%d' % n, DAY0 + n * DAY) for n in range(5)]
    ahead = _row('ahead', today + 3 * DAY + datetime.timedelta(hours=1))
    # The columns of the rows only: the model's table has columns that
    # 0006 does not.
    at_0006 = sa.table('notifications', *map(sa.column, ahead))
    with database.writer() as connection:
        connection.execute(at_0006.insert(), old + [ahead])
    migration.upgrade(database)
    assert migration.is_at_head(database)
    with database.reader() as connection:
        ids = sorted(connection.execute(sa.select(IDS.c.message_id))
                     .scalars())
        assert ids == sorted(['ahead'] + ['old-%d' % n for n in range(5)])
        if database.dialect == 'postgresql':
            counts = _counts(connection, 'notifications')
            assert counts['notifications_history'] == 5
            assert counts[partitions.day_name(
                'notifications', today + 3 * DAY)] == 1
            assert counts['notifications_default'] == 0
    handler = notifications_handler.NotificationsHandler(
        base.make_conf(database_url))
    with database.writer() as connection:
        assert handler.process(connection, [_Record(dict(
            old[0], timestamp_missing=False, conflict_of=None))]) == []
    # Once all older than the cut-off, the history goes whole.
    results = purge.run(base.make_conf(database_url), database,
                        kinds=[purge.NOTIFICATIONS],
                        older_than=datetime.timedelta(0), now=today + DAY,
                        handlers=[handler])
    assert results[purge.NOTIFICATIONS].deleted == 5
    with database.reader() as connection:
        assert sorted(connection.execute(sa.select(
            NOTIFICATIONS.c.message_id)).scalars()) == ['ahead']
        if database.dialect == 'postgresql':
            assert 'notifications_history' not in _counts(connection,
                                                          'notifications')
    database.dispose()


class _Record:
    def __init__(self, row):
        self.row = row
