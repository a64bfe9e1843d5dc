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
