import argparse
import datetime

import pytest

from stacktach_ng.client.osc.v1 import base

NOW = datetime.datetime(2026, 1, 31, 12, 0, 0)


@pytest.mark.parametrize('text, expected', [
    ('30m', '2026-01-31T11:30:00'),
    ('2h', '2026-01-31T10:00:00'),
    ('1d', '2026-01-30T12:00:00'),
    ('1w', '2026-01-24T12:00:00'),
    ('now', '2026-01-31T12:00:00'),
    ('2026-01-01T03:04:05', '2026-01-01T03:04:05'),
    ('2026-01-01', '2026-01-01T00:00:00'),
    ('2026-01-01T03:04:05Z', '2026-01-01T03:04:05'),
    ('2026-01-01T05:04:05+02:00', '2026-01-01T03:04:05'),
])
def test_parse_time(text, expected):
    assert base.parse_time(text, now=NOW) == expected


@pytest.mark.parametrize('text', ['yesterday', '5 parsecs', '', '-1h', '0s'])
def test_parse_time_refuses_garbage(text):
    with pytest.raises(argparse.ArgumentTypeError):
        base.parse_time(text, now=NOW)


@pytest.mark.parametrize('text, seconds', [
    ('600', 600), ('90s', 90), ('10m', 600), ('2h', 7200), ('1d', 86400)])
def test_parse_seconds(text, seconds):
    assert base.parse_seconds(text) == seconds


@pytest.mark.parametrize('text', ['ten', '-5', '1y'])
def test_parse_seconds_refuses_garbage(text):
    with pytest.raises(argparse.ArgumentTypeError):
        base.parse_seconds(text)


@pytest.mark.parametrize('text', ['0', '-3', 'many'])
def test_limit_must_be_positive(text):
    with pytest.raises(argparse.ArgumentTypeError):
        base.positive_int(text)


def test_rows_show_nested_values_as_json():
    rows = list(base.rows([{'a': 1, 'b': {'x': 1}}], ('a', 'b', 'c')))
    a, b, c = rows[0]
    assert a == 1 and c == ''
    assert b.human_readable() == '{\n  "x": 1\n}'
    assert b.machine_readable() == {'x': 1}


def test_show_item_puts_leading_fields_first():
    columns, data = base.show_item({'z': 1, 'b': 2, 'id': 3}, ('id',))
    assert columns == ('id', 'b', 'z')
    assert data == (3, 2, 1)


def test_show_item_puts_trailing_fields_last():
    columns, data = base.show_item({'z': 1, 'b': 2, 'id': 3, 'long': []},
                                   ('id',), trailing=('long', 'absent'))
    assert columns == ('id', 'b', 'z', 'long')
