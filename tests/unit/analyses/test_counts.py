"""The summary roll-ups of a batch: every project, per hour and per
day, with the first and last time each value was seen."""

import datetime

import pytest
import sqlalchemy as sa

from stacktach_ng.analyses import counts
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import normalize
from tests import base

_DAY = datetime.datetime(2026, 3, 2)


def _record(at, event_type, host, priority='INFO', service='compute',
            project='p1'):
    return normalize.Record({
        'generated_at': at, 'event_type': event_type, 'host': host,
        'service': service, 'priority': priority, 'project_id': project},
        {}, {})


def _us(moment):
    return int((moment - datetime.datetime(1970, 1, 1)).total_seconds()
               * 1000000)


def test_hours_and_days_count_every_project_with_first_and_last():
    nine = _DAY + datetime.timedelta(hours=9)
    records = [
        _record(nine + datetime.timedelta(minutes=5), 'a.start', 'h1'),
        _record(nine + datetime.timedelta(minutes=50), 'a.error', 'h1',
                project='p2'),
        _record(nine + datetime.timedelta(minutes=20), 'b', 'h2',
                priority='ERROR', project=None),
        _record(nine + datetime.timedelta(hours=3), 'a.start', None),
    ]
    rows = {(row['width_us'], row['bucket_us'], row['dimension'],
             row['name']): (row['notifications'], row['errors'],
                            row['first_us'], row['last_us'])
            for row in counts.count_rows(records, 300 * 10 ** 6)[1]}
    hour, day = counts.HOUR_US, counts.DAY_US
    # Derived by hand: h1 sent two in the 09:00 hour (one an .error, at
    # 09:05 and 09:50), h2 one ERROR at 09:20; the 12:05 one has no host.
    assert rows[hour, _us(nine), 'host', 'h1'] == (
        2, 1, _us(nine) + 5 * 60 * 10 ** 6, _us(nine) + 50 * 60 * 10 ** 6)
    assert rows[hour, _us(nine), 'host', 'h2'] == (
        1, 1, _us(nine) + 20 * 60 * 10 ** 6, _us(nine) + 20 * 60 * 10 ** 6)
    assert rows[hour, _us(nine) + 3 * hour, 'host', ''][:2] == (1, 0)
    assert rows[day, _us(_DAY), 'service', 'compute'] == (
        4, 2, _us(nine) + 5 * 60 * 10 ** 6, _us(nine) + 3 * hour)
    assert rows[day, _us(_DAY), 'event_type', 'a.start'][:2] == (2, 0)
    # Each notification once per dimension and width: 4 x 3 x 2.
    assert sum(value[0] for value in rows.values()) == 24
    assert len(rows) == (
        # hours 09 and 12: event types (3 + 1), services (1 + 1),
        # hosts (2 + 1); the day: 3 + 1 + 3.
        (4 + 2 + 3) + (3 + 1 + 3))


_NINE = _DAY + datetime.timedelta(hours=9)
_FIVE_MINUTES = 300 * 10 ** 6


def _at(minute):
    return _NINE + datetime.timedelta(minutes=minute)


# One hour of a few notifications; the names say when, what, where, whose.
A_0908 = _record(_at(8), 'a.start', 'h1')
B_0905 = _record(_at(5), 'a.start', 'h1')
C_0909 = _record(_at(9), 'a.start', 'h1')
D_0907_ERROR = _record(_at(7), 'a.error', 'h1')
E_0912_NO_PROJECT = _record(_at(12), 'a.start', 'h2', priority='ERROR',
                            project=None)
F_0906_NOWHERE = _record(_at(6), 'a.start', None, service=None)
# Sent between h1's first and last, and counted after both.
G_0907 = _record(_at(7), 'a.start', 'h1')


def _counts(rows):
    return {(row['bucket_us'], row['dimension'], row['name'],
             row['project_id']): (row['notifications'], row['errors'])
            for row in rows}


def test_counts_per_bucket_dimension_and_project():
    rows, rollups = counts.count_rows(
        [A_0908, B_0905, C_0909, D_0907_ERROR, E_0912_NO_PROJECT,
         F_0906_NOWHERE, G_0907], _FIVE_MINUTES)
    five, ten = _us(_at(5)), _us(_at(10))
    # Derived by hand: 09:05-09:10 holds A, B, C, D, G (h1, compute) and
    # F (no host, no service), all of p1, D an .error; 09:10-09:15 holds
    # E, sent at ERROR by no project.
    assert _counts(rows) == {
        (five, 'event_type', 'a.start', 'p1'): (5, 0),
        (five, 'event_type', 'a.error', 'p1'): (1, 1),
        (five, 'service', 'compute', 'p1'): (5, 1),
        (five, 'service', '', 'p1'): (1, 0),
        (five, 'host', 'h1', 'p1'): (5, 1),
        (five, 'host', '', 'p1'): (1, 0),
        (ten, 'event_type', 'a.start', ''): (1, 1),
        (ten, 'service', 'compute', ''): (1, 1),
        (ten, 'host', 'h2', ''): (1, 1),
    }
    hours = {(row['dimension'], row['name']): (
        row['notifications'], row['errors'], row['first_us'], row['last_us'])
        for row in rollups if row['width_us'] == counts.HOUR_US}
    # h1's five, though the first sent (09:05) came second and the last
    # (09:09) third.
    assert hours['host', 'h1'] == (5, 1, _us(_at(5)), _us(_at(9)))
    assert hours['event_type', 'a.start'] == (6, 1, _us(_at(5)),
                                              _us(_at(12)))


@pytest.fixture
def database(tmp_path):
    database = db_api.Database(
        base.make_conf('sqlite:///%s' % (tmp_path / 'c.sqlite')))
    migration.upgrade(database)
    yield database
    database.dispose()


def test_counts_written_in_batches_add_up(database):
    for batch in ([B_0905, D_0907_ERROR],
                  [A_0908, D_0907_ERROR, E_0912_NO_PROJECT]):
        with database.writer() as connection:
            counts.write_counts(connection,
                                counts.count_rows(batch, _FIVE_MINUTES)[0])
    with database.reader() as connection:
        rows = connection.execute(sa.select(counts.COUNTS)).mappings().all()
    five, ten = _us(_at(5)), _us(_at(10))
    # B and A, then D twice (once per batch), then E.
    assert _counts(rows) == {
        (five, 'event_type', 'a.start', 'p1'): (2, 0),
        (five, 'event_type', 'a.error', 'p1'): (2, 2),
        (five, 'service', 'compute', 'p1'): (4, 2),
        (five, 'host', 'h1', 'p1'): (4, 2),
        (ten, 'event_type', 'a.start', ''): (1, 1),
        (ten, 'service', 'compute', ''): (1, 1),
        (ten, 'host', 'h2', ''): (1, 1),
    }
