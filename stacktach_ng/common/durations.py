"""Durations as operators write them: ``30d``, ``12h``, ``90m``, ``2w``,
``3600s``, and, where a bare number makes sense, ``60``."""

import datetime
import re

_DURATION = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$',
                       re.IGNORECASE)
_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}


def parse(text, what='duration', bare_unit=None, whole=False,
          allow_zero=False):
    """A ``timedelta`` from ``text``, positive unless ``allow_zero``.

    :param what: the name used in error messages (``age``, ``duration``).
    :param bare_unit: the unit of a number written without one; None means
        a unit is required (a retention age of "30" is more likely a
        mistake than thirty seconds).
    :param whole: refuse fractions such as ``1.5h``.
    :param allow_zero: accept ``0s`` ("everything until now" for a purge).
    :raises ValueError: with a message for the operator.
    """
    match = _DURATION.match(str(text or ''))
    if match is None or (not match.group(2) and bare_unit is None) or (
            whole and '.' in match.group(1)):
        raise ValueError(
            'invalid %s %r: expected a %snumber and a unit, one of s, m, h, '
            'd, w (for example 30d)'
            % (what, str(text), 'whole ' if whole else ''))
    number, unit = match.groups()
    seconds = float(number) * _SECONDS[(unit or bare_unit).lower()]
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ValueError('invalid %s %r: it must be positive'
                         % (what, str(text)))
    try:
        return datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError('invalid %s %r: too large'
                         % (what, str(text))) from None
