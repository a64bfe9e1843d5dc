"""The query benchmark's time windows and month-to-day check."""

import datetime
import random

from tests.perf import queries
from tests.perf import report

_FIRST = datetime.datetime(2026, 1, 1)


def test_windows_lie_inside_the_data():
    last = _FIRST + datetime.timedelta(days=40)
    windows = queries._days(random.Random(1), _FIRST, last, 50,
                            datetime.timedelta(days=30))
    assert len(windows) == 50
    for since, until in windows:
        assert until - since == datetime.timedelta(days=30)
        assert _FIRST <= since and until <= last


def test_a_window_longer_than_the_data_is_all_of_it():
    last = _FIRST + datetime.timedelta(hours=20)
    assert queries._days(random.Random(1), _FIRST, last, 3) == [
        (_FIRST, last + datetime.timedelta(seconds=1))] * 3


def _results(day, month):
    results = report.Results('queries', {})
    for name in ('timing summary', 'timing summary by host'):
        results.add(name=name + ' (1 day)', p95_ms=day)
        results.add(name=name + ' (30 days)', p95_ms=month)
    return results


def test_month_to_day_ratio_is_checked_against_two():
    results = _results(100.0, 200.0)
    queries._check_month_to_day(results)
    assert [(c['value'], c['passed']) for c in results.checks] == [
        (2.0, True), (2.0, True)]
    results = _results(100.0, 201.0)
    queries._check_month_to_day(results)
    assert [c['passed'] for c in results.checks] == [False, False]
