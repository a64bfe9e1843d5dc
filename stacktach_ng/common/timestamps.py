"""Timestamps as OpenStack writes them, read into naive UTC datetimes.

Seen in the wild: ``2016-03-07 16:23:09.259310`` (envelope, UTC, no zone),
``2016-03-07 16:23:09`` (microseconds of 0 dropped), ``2012-10-29T13:42:11Z``,
``2012-10-29T13:42:11.000000+00:00``, ``2012-10-29 13:42:11.000000`` and
``""`` or None for "not set". Epoch seconds are accepted too.

A time that no database column can hold (years before 1900 or after 9998:
MySQL's DATETIME starts at year 1000) is treated as unreadable, so that one
absurd value falls back to another time instead of failing a whole batch.
"""

import datetime

from oslo_utils import timeutils

_UTC = datetime.timezone.utc
_MIN_YEAR = 1900
_MAX_YEAR = 9998


def parse(value):
    """A naive UTC datetime, or None for an empty or unreadable value."""
    if value is None or value == '':
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            moment = datetime.datetime.fromtimestamp(value, _UTC).replace(
                tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
        if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
            return None
        return moment
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = timeutils.parse_isotime(text)
            except ValueError:
                return None
    else:
        return None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(_UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None
    if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
        return None
    return moment


def iso(moment):
    """The API's form of a naive UTC datetime: ISO 8601 with a ``Z``,
    microseconds only when there are some (as the JSON renderer writes
    datetimes): ``2026-01-31T12:00:00Z``. None stays None."""
    if moment is None:
        return None
    text = moment.replace(tzinfo=None).isoformat()
    return text + 'Z'


def utcnow():
    """The current time, naive UTC."""
    return datetime.datetime.now(_UTC).replace(tzinfo=None)
