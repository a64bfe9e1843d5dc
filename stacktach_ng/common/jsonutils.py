"""Fast JSON for the ingest path.

orjson parses and writes JSON several times faster than the standard
library, which matters at tens of thousands of notifications a second. The
standard library is the fallback for what orjson refuses (integers beyond
64 bits, which Python's json happily produces from a 2**70 in a payload).
"""

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value):
    """Compact JSON text (str) of a JSON-like value; unknown types become
    their ``str()``."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(',', ':'),
                          default=str)


def loads(text):
    """Parse JSON text (str or bytes); raises ValueError when invalid."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson rejects a few things json accepts (NaN, big integers):
        # give those the standard parser's chance before calling it bad.
        return json.loads(text)
