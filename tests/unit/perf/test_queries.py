"""The query benchmark's time windows and month-to-day check."""

import datetime
import random
import types

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


_CHECKED = ('timing summary', 'timing summary by host', '/v1/summary',
            'hosts', 'services')


def _results(day, month):
    results = report.Results('queries', {})
    for name in _CHECKED:
        results.add(name=name + ' (1 day)', p95_ms=day)
        results.add(name=name + ' (30 days)', p95_ms=month)
    return results


def test_month_to_day_ratio_is_checked_against_two():
    results = _results(100.0, 200.0)
    queries._check_month_to_day(results)
    assert [(c['name'], c['value'], c['passed'])
            for c in results.checks] == [
        (name + ' 30 days / 1 day (p95)', 2.0, True) for name in _CHECKED]
    results = _results(100.0, 201.0)
    queries._check_month_to_day(results)
    assert [c['passed'] for c in results.checks] == [False] * 5


def test_every_checked_query_is_timed_over_a_day_and_a_month():
    day = (_FIRST, _FIRST + datetime.timedelta(days=1))
    month = (_FIRST, _FIRST + datetime.timedelta(days=30))
    sample = types.SimpleNamespace(
        count=2, requests=['r'], largest_requests=['r'], resources=['i'],
        markers=['m'], projects=['p'], days=[day] * 2, months=[month] * 2)
    plan = {name: calls for name, _target, calls in
            queries.query_plan(sample)}
    for name in _CHECKED:
        assert len(plan[name + ' (1 day)']) == 2
        assert len(plan[name + ' (30 days)']) == 2
