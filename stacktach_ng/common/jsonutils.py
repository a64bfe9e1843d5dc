"""Fast JSON for the ingest path.

orjson parses and writes JSON several times faster than the standard
library, which matters at tens of thousands of notifications a second. The
standard library is the fallback for what orjson does differently:

* writing: integers beyond 64 bits, which orjson refuses;
* parsing: NaN and Infinity, which orjson refuses, and integers beyond 64
  bits, which orjson silently turns into floats (2**70 would come back as
  1.1805916207174113e+21). A text with a run of 20 or more digits is
  parsed by the standard library; telling one costs a byte translation,
  far less than the parse.
"""

import json
import math

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value):
    """Compact, strict JSON text (str) of a JSON-like value; unknown types
    become their ``str()``, NaN and the infinities null (as orjson writes
    them: the standard library's bare ``NaN`` is no JSON that other
    parsers read)."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(_finite(value), ensure_ascii=False,
                          separators=(',', ':'), default=str)


def _finite(value):
    """A copy of a JSON-like structure with NaN and the infinities as
    None."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {key: _finite(item) for key, item in value.items()}
    if kind is list:
        return [_finite(item) for item in value]
    return value


# Every digit as '0', to find a long run of digits with one substring test.
_DIGITS_AS_ZERO = bytes.maketrans(b'123456789', b'000000000')
# The shortest run that may not fit 64 bits (2**64 has 20 digits).
_LONG_NUMBER = b'0' * 20


def may_hold_a_big_integer(text):
    """Whether ``text`` (str or bytes) has a run of 20 or more digits, the
    only way to write an integer orjson cannot keep exact. A text found
    free of them makes every JSON string inside it free too."""
    raw = (text.encode('utf-8', 'surrogatepass') if isinstance(text, str)
           else bytes(text))
    return _LONG_NUMBER in raw.translate(_DIGITS_AS_ZERO)


def loads(text, checked=False):
    """Parse JSON text (str or bytes); raises ValueError when invalid.

    ``checked=True`` says that the caller found no long run of digits in
    the text (``may_hold_a_big_integer``), or in a text that contains it:
    the search is not repeated.
    """
    if not checked and may_hold_a_big_integer(text):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson rejects a few things json accepts (NaN, big integers):
        # give those the standard parser's chance before calling it bad.
        return json.loads(text)
