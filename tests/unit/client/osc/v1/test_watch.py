import json

import pytest
import requests

from stacktach_ng.client import exceptions
from stacktach_ng.client.osc.v1 import watch
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def _n(message_id, at, **extra):
    item = {'message_id': message_id, 'generated_at': at,
            'event_type': 'compute.instance.update', 'priority': 'INFO',
            'service': 'compute', 'host': 'cmp-1', 'resource_id': 'i-1',
            'request_id': 'req-1'}
    item.update(extra)
    return item


def _page(*items):
    return {'json': {'notifications': list(items), 'next': None}}


class _Sleeps:
    """Records the pauses; interrupts the watch after ``stop_after``."""

    def __init__(self, stop_after):
        self.pauses = []
        self.stop_after = stop_after

    def __call__(self, seconds):
        self.pauses.append(seconds)
        if len(self.pauses) >= self.stop_after:
            raise KeyboardInterrupt


def test_prints_history_then_only_new_ones_and_stops_on_ctrl_c(api, run):
    api.get(url('/v1/notifications'), [
        # history (newest first), then the silent window read
        _page(_n('m2', '2026-01-01T00:00:02Z'),
              _n('m1', '2026-01-01T00:00:01Z')),
        _page(_n('m1', '2026-01-01T00:00:01Z'),
              _n('m2', '2026-01-01T00:00:02Z')),
        # first poll: m2 again (overlap), a late m0 and a new m3
        _page(_n('m0', '2026-01-01T00:00:00Z'),
              _n('m2', '2026-01-01T00:00:02Z'),
              _n('m3', '2026-01-01T00:00:03Z')),
        _page(_n('m3', '2026-01-01T00:00:03Z')),
    ])
    sleeps = _Sleeps(stop_after=3)
    result = run(watch.Watch, '--history', '2', '--interval', '1',
                 '--event-type', 'compute.*', '--host', 'cmp-1',
                 sleep=sleeps)
    assert result == 0
    printed = run.app.stdout.getvalue().splitlines()
    assert [line.split('  ')[0] for line in printed] == [
        '2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z',
        '2026-01-01T00:00:00Z', '2026-01-01T00:00:03Z']
    history, window, first_poll, second_poll = api.request_history
    assert query(history) == {'limit': '2', 'sort_dir': 'desc',
                              'event_type': 'compute.*', 'host': 'cmp-1'}
    # Each poll re-reads the overlap window before the newest seen.
    assert query(first_poll)['since'] == '2025-12-31T23:59:52'
    assert query(second_poll)['since'] == '2025-12-31T23:59:53'
    assert query(first_poll)['sort_dir'] == 'asc'
    assert query(first_poll)['event_type'] == 'compute.*'
    assert sleeps.pauses == [1.0, 1.0, 1.0]


def test_json_lines_and_count(api, run):
    api.get(url('/v1/notifications'), [
        _page(), _page(_n('m1', '2026-01-01T00:00:01Z'),
                       _n('m2', '2026-01-01T00:00:02Z'))])
    result = run(watch.Watch, '-f', 'json', '--count', '1',
                 '--interval', '0', sleep=_Sleeps(stop_after=5))
    assert result == 0
    lines = run.app.stdout.getvalue().splitlines()
    assert [json.loads(line)['message_id'] for line in lines] == ['m1']


def test_survives_an_api_restart(api, run):
    api.get(url('/v1/notifications'), [
        _page(),
        {'exc': requests.exceptions.ConnectionError(
            'refused')},
        {'status_code': 503, 'json': {'error': {'message': 'starting'}}},
        {'exc': requests.exceptions.ConnectionError(
            'refused')},
        _page(_n('m1', '2026-01-01T00:00:01Z')),
        _page(_n('m1', '2026-01-01T00:00:01Z')),
    ])
    sleeps = _Sleeps(stop_after=7)
    assert run(watch.Watch, '--history', '0', '--interval', '1',
               sleep=sleeps) == 0
    errors = run.app.stderr.getvalue().splitlines()
    # One warning per outage, one line when it is over.
    assert len(errors) == 2
    assert errors[0].startswith('warning: cannot reach the stacktach-ng '
                                'API')
    assert errors[1] == 'the API answers again'
    # m1 is printed once although the two polls returned it.
    assert len(run.app.stdout.getvalue().splitlines()) == 1
    assert run.app.stdout.getvalue().startswith('2026-01-01T00:00:01Z')
    # Back-off between the failed tries, the interval otherwise.
    assert sleeps.pauses[:4] == [1.0, 2.0, 4.0, 5.0]


def test_client_errors_are_not_retried(api, run):
    api.get(url('/v1/notifications'), status_code=400, json={
        'error': {'message': 'priority: bad'}})
    with pytest.raises(exceptions.BadRequest):
        run(watch.Watch, '--priority', 'x', sleep=_Sleeps(stop_after=5))


def test_backoff_is_bounded():
    assert watch.backoff(2, 1) == 4
    assert watch.backoff(2, 10) == watch.MAX_BACKOFF
    assert watch.backoff(60, 3) == 60


def test_tail_forgets_what_the_next_poll_cannot_return():
    tail = watch.Tail(overlap=10)
    assert tail.since() is None
    assert tail.accept(_n('a', '2026-01-01T00:00:00Z'))
    assert not tail.accept(_n('a', '2026-01-01T00:00:00Z'))
    assert tail.accept(_n('b', '2026-01-01T00:00:30Z'))
    tail.forget_old()
    assert set(tail.seen) == {'b'}
    assert tail.since() == '2026-01-01T00:00:20'


@pytest.mark.parametrize('argv', [
    ('--interval', '-1'), ('--interval', 'nan'), ('--history', '-2'),
    ('--overlap', 'x'), ('--count', '0')])
def test_bad_option_values_are_usage_errors(run, argv):
    with pytest.raises(SystemExit):
        run.parse(watch.Watch, *argv)
