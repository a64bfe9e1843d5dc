"""Times in derived tables: integer microseconds since the Unix epoch.

Columns holding them are named ``*_us``; a duration is a subtraction and
the merge expressions compare integers on every backend.
"""

import datetime

EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)


def to_us(value):
    """Microseconds since the epoch of a naive UTC datetime (None stays)."""
    if value is None:
        return None
    return (value - EPOCH) // _MICROSECOND


def from_us(value):
    """The naive UTC datetime of epoch microseconds (None stays)."""
    if value is None:
        return None
    return EPOCH + datetime.timedelta(microseconds=value)


def iso(value):
    """ISO 8601 text with a 'Z' of epoch microseconds, or None."""
    if value is None:
        return None
    return from_us(value).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
