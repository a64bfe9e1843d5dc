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
