import argparse

import pytest

from stacktach_ng.client import exceptions
from stacktach_ng.client.osc.v1 import notifications
from tests.unit.client.conftest import human
from tests.unit.client.conftest import machine
from tests.unit.client.conftest import query
from tests.unit.client.conftest import url


def _notification(message_id, **extra):
    item = {'message_id': message_id, 'event_type': 'compute.instance.update',
            'priority': 'INFO', 'service': 'compute', 'host': 'cmp-1',
            'generated_at': '2026-01-01T00:00:01Z',
            'received_at': '2026-01-01T00:00:02Z', 'resource_id': 'i-1',
            'project_id': 'p1'}
    item.update(extra)
    return item


def test_list_default_columns_and_filters(api, run):
    api.get(url('/v1/notifications'), json={
        'notifications': [_notification('m1'), _notification('m2')],
        'next': None})
    columns, rows = run(notifications.ListNotification,
                        '--event-type', 'compute.*', '--host', 'cmp-1',
                        '--request-id', 'req-1', '--priority', 'ERROR',
                        '--since', '2026-01-01T00:00:00', '--limit', '5',
                        '--sort-dir', 'asc')
    assert columns == notifications.COLUMNS
    assert [row[0] for row in rows] == ['m1', 'm2']
    assert rows[0][columns.index('host')] == 'cmp-1'
    assert query(api.last_request) == {
        'event_type': 'compute.*', 'host': 'cmp-1', 'request_id': 'req-1',
        'priority': 'ERROR', 'since': '2026-01-01T00:00:00', 'limit': '5',
        'sort_dir': 'asc'}


def test_list_long_adds_columns_and_scope(api, run):
    api.get(url('/v1/notifications'), json={
        'notifications': [_notification('m1')], 'next': None})
    columns, rows = run(notifications.ListNotification, '--long',
                        '--all-projects', '--marker', 'm0')
    assert columns == notifications.COLUMNS + notifications.LONG_COLUMNS
    assert rows[0][columns.index('project_id')] == 'p1'
    assert query(api.last_request) == {'all_projects': 'true',
                                       'marker': 'm0', 'limit': '100'}


def test_list_follows_pages_up_to_the_limit(api, run):
    api.get(url('/v1/notifications'), [
        {'json': {'notifications': [_notification('m1')],
                  'next': url('/v1/notifications?limit=2&marker=m1')}},
        {'json': {'notifications': [_notification('m2'),
                                    _notification('m3')],
                  'next': url('/v1/notifications?limit=2&marker=m3')}}])
    columns, rows = run(notifications.ListNotification, '--limit', '2')
    assert [row[0] for row in rows] == ['m1', 'm2']
    assert api.call_count == 2


def test_list_refuses_a_bad_limit(run):
    with pytest.raises(SystemExit):
        run.parse(notifications.ListNotification, '--limit', '0')


def test_show_puts_payload_as_json(api, run):
    api.get(url('/v1/notifications/m1'), json=_notification(
        'm1', payload={'state': 'active'}, context={'user': 'u'}))
    columns, data = run(notifications.ShowNotification, 'm1')
    assert columns[:3] == ('message_id', 'event_type', 'priority')
    fields = dict(zip(columns, data, strict=True))
    assert machine(fields['payload']) == {'state': 'active'}
    assert '"state": "active"' in human(fields['payload'])


def test_show_unknown_is_a_one_line_error(api, run):
    api.get(url('/v1/notifications/nope'), status_code=404, json={
        'error': {'code': 404, 'message': 'No notification has '
                                          'message_id nope.'}})
    with pytest.raises(exceptions.NotFound,
                       match='No notification has message_id nope'):
        run(notifications.ShowNotification, 'nope')


@pytest.mark.parametrize('command, path, key', [
    (notifications.ListEventType, '/v1/event_types', 'event_type'),
    (notifications.ListHost, '/v1/hosts', 'host'),
    (notifications.ListService, '/v1/services', 'service')])
def test_counts(api, run, command, path, key):
    api.get(url(path), json={path.rsplit('/', 1)[1]: [
        {key: 'a', 'count': 3, 'first_seen': 't0', 'last_seen': 't1'}],
        'next': None})
    columns, rows = run(command, '--since', '1h')
    assert columns == (key, 'count', 'first_seen', 'last_seen')
    assert rows == [('a', 3, 't0', 't1')]
    assert 'since' in query(api.last_request)


def test_filters_are_all_options():
    parser = argparse.ArgumentParser()
    from stacktach_ng.client.osc.v1 import base
    base.add_filters(parser, notifications.FILTERS)
    parsed = parser.parse_args(['--resource-id', 'r', '--user-id', 'u'])
    assert base.named_filters(parsed, notifications.FILTERS)[
        'resource_id'] == 'r'
