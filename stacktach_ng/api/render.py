"""The JSON renderer of the API.

orjson writes a page of notifications several times faster than the
standard library; it writes naive datetimes (the database's UTC) as
``2026-01-31T12:00:00.123456Z`` and embeds stored JSON documents handed
over as ``orjson.Fragment`` without re-parsing them.
"""

import orjson

OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def dumps(value):
    """JSON bytes of an API response body."""
    return orjson.dumps(value, option=OPTIONS)


class JsonRenderer:
    """Pecan renderer registered as ``json``, replacing Pecan's own."""

    def __init__(self, path, extra_vars):
        pass

    def render(self, template_path, namespace):
        return dumps(namespace)
