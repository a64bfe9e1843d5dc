"""The split of a period into days and hours of roll-ups and parts read
row by row."""

from stacktach_ng.analyses import periods

_H = periods.HOUR_US
_D = periods.DAY_US


def test_a_period_is_split_into_days_hours_and_marked_hours():
    # From 22:00 on day 1 to 03:00 on day 4, 13:00 of day 3 marked: the
    # hours of day 1, day 2 whole, day 3 hour by hour (it has a marked
    # hour, read from the operations), the hours of day 4.
    first, last = _D + 22 * _H, 4 * _D + 3 * _H
    days, hours, exact = periods.plan(first, last, {3 * _D + 13 * _H})
    assert days == [2 * _D]
    assert hours == ([_D + 22 * _H, _D + 23 * _H]
                     + [3 * _D + h * _H for h in range(24) if h != 13]
                     + [4 * _D, 4 * _D + _H, 4 * _D + 2 * _H])
    assert exact == [(3 * _D + 13 * _H, 3 * _D + 14 * _H)]


def test_adjacent_marked_hours_are_one_range_and_days_can_be_refused():
    days, hours, exact = periods.plan(0, 2 * _D, {5 * _H, 6 * _H, 9 * _H},
                                      days=False)
    assert days == []
    assert len(hours) == 48 - 3
    assert exact == [(5 * _H, 7 * _H), (9 * _H, 10 * _H)]
    # With days allowed, only the first day (which has the marks) goes
    # hour by hour.
    days, hours, exact = periods.plan(0, 2 * _D, {5 * _H, 6 * _H, 9 * _H})
    assert days == [_D]
    assert len(hours) == 24 - 3


def test_contiguous_buckets_are_one_range():
    assert periods.ranges([0, _H, 2 * _H, 5 * _H, 7 * _H, 8 * _H], _H) == [
        (0, 3 * _H), (5 * _H, 6 * _H), (7 * _H, 9 * _H)]
    assert periods.ranges([], _D) == []
