"""The summary roll-ups of a batch: every project, per hour and per
day, with the first and last time each value was seen."""

import datetime

from stacktach_ng.analyses import counts
from stacktach_ng.pipeline import normalize

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
