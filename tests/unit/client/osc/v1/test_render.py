import json

import pytest

from stacktach_ng.client.osc.v1 import render


@pytest.mark.parametrize('seconds, text', [
    (None, ''), (0.0005, '500us'), (0.042, '42ms'), (3.5, '3.50s'),
    (125, '2m05s'), (7384, '2h03m'), (200000, '2d07h')])
def test_format_duration(seconds, text):
    assert render.format_duration(seconds) == text


def _span(span_id, operation, duration_us, outcome='success',
          children=(), notifications=(), service='compute', host='h1'):
    return {'id': span_id, 'operation': operation, 'service': service,
            'host': host, 'duration_us': duration_us, 'outcome': outcome,
            'notifications': list(notifications),
            'children': list(children)}


def test_span_tree_indents_marks_critical_path_and_errors():
    root = _span('r', 'instance.create', 12_300_000, children=[
        _span('s', 'scheduler.select_destinations', 1_200_000,
              host='sched'),
        _span('v', 'volume.attach', 300_000, outcome='error',
              service='volume', notifications=[
                  {'event_type': 'volume.attach.start', 'priority': 'INFO'},
                  {'event_type': 'volume.attach.error',
                   'priority': 'ERROR'}]),
        _span('o', 'instance.spawn', None, outcome='open', children=[
            _span('n', 'port.create', 500, service='network')]),
    ])
    lines = render.span_tree_lines(root, ['r', 'o', 'n'])
    assert lines == [
        '*    12.30s  instance.create [compute@h1]',
        '      1.20s    scheduler.select_destinations [compute@sched]',
        ' !    300ms    volume.attach [volume@h1]  ERROR '
        'volume.attach.error',
        '*      open    instance.spawn [compute@h1]',
        '*     500us      port.create [network@h1]',
    ]


def test_request_spans_are_named_by_their_request_id():
    span = dict(_span('q', 'compute.instance.update', 1000),
                kind='request', request_id='req-9')
    assert render.span_tree_lines(span) == [
        '        1ms  request req-9 [compute@h1]']


def test_span_tree_column_is_the_tree_for_people_the_data_for_json():
    root = _span('r', 'instance.delete', 1_000_000)
    column = render.SpanTreeColumn((root, ['r']))
    assert column.human_readable() == (
        '*     1.00s  instance.delete [compute@h1]')
    assert column.machine_readable() is root
    assert render.span_tree_lines(None) == []


def test_timeline_lines():
    lines = render.timeline_lines([
        {'at': '2026-01-01T00:00:01Z', 'field': 'task_state',
         'from': None, 'to': 'scheduling',
         'event_type': 'compute.instance.update', 'service': 'compute',
         'host': 'api-1', 'request_id': 'req-1'},
        {'at': '2026-01-01T00:00:05Z', 'field': 'vm_state',
         'from': 'building', 'to': 'active', 'event_type': 'x',
         'service': None, 'host': None, 'request_id': None}])
    assert lines[0].split() == [
        '2026-01-01T00:00:01Z', 'task_state', '-', '->', 'scheduling',
        'compute.instance.update', 'compute@api-1']
    assert lines[1].split() == ['2026-01-01T00:00:05Z', 'vm_state',
                                'building', '->', 'active', 'x']


def test_task_state_bars_are_proportional():
    lines = render.task_state_lines([
        {'task_state': 'scheduling', 'duration_us': 1_000_000},
        {'task_state': 'spawning', 'duration_us': 4_000_000},
        {'task_state': None, 'duration_us': None}], width=8)
    assert lines[0].split() == ['scheduling', '1.00s', '##']
    assert lines[1].split() == ['spawning', '4.00s', '########']
    assert lines[2].split() == ['-', '(current)']


def test_operation_lines_and_microsecond_columns():
    lines = render.operation_lines([
        {'operation': 'instance.create', 'outcome': 'success',
         'duration_us': 2_500_000, 'started_at': 't0',
         'request_id': 'req-1'},
        {'operation': 'instance.delete', 'outcome': 'open',
         'duration_us': None, 'started_at': 't1', 'request_id': None}])
    assert lines[0].split() == ['instance.create', 'success', '2.50s',
                                't0', 'req-1']
    assert lines[1].split() == ['instance.delete', 'open', 't1']
    column = render.MicrosecondsColumn(90_000_000)
    assert (column.human_readable(), column.machine_readable()) == (
        '1m30s', 90_000_000)
    assert render.MicrosecondsColumn(None).human_readable() == ''
    mapping = render.MicrosecondsMapColumn({'spawning': 2_000_000})
    assert mapping.human_readable().split() == ['spawning', '2.00s']


def test_json_column():
    column = render.JsonColumn({'b': [1], 'a': None})
    assert json.loads(column.human_readable()) == {'a': None, 'b': [1]}
    assert render.JsonColumn(None).human_readable() == ''


def test_fault_lines():
    assert render.fault_lines([{
        'generated_at': 't1', 'event_type': 'compute.instance.create.error',
        'exception': 'NoValidHost', 'message': 'No valid host\nmore'}]) == [
        't1  compute.instance.create.error  NoValidHost  No valid host']
