"""The fast JSON of the ingest path gives what the standard library gives."""

import json

import pytest

from stacktach_ng.common import jsonutils


@pytest.mark.parametrize('text', [
    '{"big": 123456789012345678901234567890}',
    '[18446744073709551616, -9223372036854775809]',
    '[18446744073709551615, 9223372036854775807, -9223372036854775808]',
    '{"id": "12345678901234567890", "n": 1.5e300}',
    '{"nan": NaN, "inf": Infinity}',
    '{"u": "\\u00e9 \u65e5", "dup": 1, "dup": 2}',
])
def test_loads_equals_the_standard_library(text):
    for form in (text, text.encode('utf-8')):
        ours = jsonutils.loads(form)
        assert repr(ours) == repr(json.loads(text))


def test_loads_rejects_invalid_json():
    with pytest.raises(ValueError):
        jsonutils.loads('{"x')


def test_checked_skips_only_the_digit_search():
    text = '{"big": 123456789012345678901234567890}'
    assert jsonutils.may_hold_a_big_integer(text)
    assert jsonutils.may_hold_a_big_integer(text.encode())
    assert not jsonutils.may_hold_a_big_integer('{"id": "1234-5678"}')
    # A caller that says it checked gets orjson's parse as it is.
    assert jsonutils.loads('{"n": 12}', checked=True) == {'n': 12}
    assert jsonutils.loads(text) == json.loads(text)
