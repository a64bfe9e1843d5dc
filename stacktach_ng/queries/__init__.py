"""Read queries behind the REST API, one module per area.

Every query function takes a reader ``Connection`` (``Database.reader()``)
and an explicit ``project_id`` scope: a project id limits the rows to that
project, ``None`` means every project. The API decides the scope from the
caller's token and the policy; the query enforces it in SQL, so no filter
can widen it.

Lists use keyset paging: they take a ``limit`` and a ``marker`` (the key of
the last row of the previous page) and fetch one row more than asked to
tell whether a next page exists, never an OFFSET (whose cost grows with
the page number). Every list returns ``(items, more)``: at most ``limit``
items and whether a next page exists (``page``). A marker that names no
row raises ``stacktach_ng.exception.MarkerNotFound``; a parameter value a
query refuses raises ``stacktach_ng.exception.InvalidParameter`` (a
``ValueError``).
"""

import datetime

from stacktach_ng.analyses import times

# Room around a range of generated times read by ``dated_between``: a
# database that keeps whole seconds (or rounds) still finds the rows at
# the very edges.
_EDGE = datetime.timedelta(seconds=1)


def dated_between(column, first_us, last_us):
    """The condition that ``column`` (a generated_at) lies from
    ``first_us`` to ``last_us`` (epoch microseconds), with a second of room
    on each side.

    A request's or a resource's notifications are dated within the first
    and last times its row keeps (the handlers take both from their
    generated_at); reading only that range lets PostgreSQL look in the day
    partitions it spans instead of every one of them.
    """
    return column.between(times.from_us(first_us) - _EDGE,
                          times.from_us(last_us) + _EDGE)


def glob_to_like(pattern):
    """A LIKE pattern (escape character ``\\``) for a shell-style glob.

    ``*`` matches any run of characters, ``?`` exactly one; LIKE's own
    wildcards ``%`` and ``_`` in the glob are literal characters.
    """
    escaped = (pattern.replace('\\', '\\\\').replace('%', '\\%')
               .replace('_', '\\_'))
    return escaped.replace('*', '%').replace('?', '_')


def is_glob(pattern):
    return '*' in pattern or '?' in pattern


def page(rows, limit):
    """Split the ``limit + 1`` rows of a keyset query.

    :returns: ``(rows, more)``: at most ``limit`` rows and whether more
        rows follow them.
    """
    rows = list(rows)
    return rows[:limit], len(rows) > limit
