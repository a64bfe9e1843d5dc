import datetime

import pytest

from stacktach_ng.common import durations


@pytest.mark.parametrize('text,expected', [
    ('30d', datetime.timedelta(days=30)),
    ('1.5h', datetime.timedelta(minutes=90)),
    (' 2W ', datetime.timedelta(weeks=2)),
])
def test_parse(text, expected):
    assert durations.parse(text) == expected


def test_bare_number_needs_a_bare_unit():
    with pytest.raises(ValueError, match='invalid duration'):
        durations.parse('60')
    assert durations.parse('60', bare_unit='s') == datetime.timedelta(
        seconds=60)


def test_zero_only_when_allowed():
    with pytest.raises(ValueError, match='positive'):
        durations.parse('0s')
    assert durations.parse('0s', allow_zero=True) == datetime.timedelta(0)


def test_whole_refuses_fractions():
    with pytest.raises(ValueError, match='whole number'):
        durations.parse('1.5h', what='age', whole=True)
