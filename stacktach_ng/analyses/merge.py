"""Commutative merge rules of aggregated rows.

The SQL expressions are the ``merge`` of an upsert
(``stacktach_ng.db.upsert.upsert``): ``stored`` is the table's columns,
``incoming`` the proposed row's. The Python twins fold a batch's rows the
same way before the upsert, so that a batch sends one row per key.
"""

import sqlalchemy as sa


def key_text(value):
    """A key column's value: unique constraints treat NULLs as distinct,
    so a missing request or resource is stored as ''."""
    return value if value is not None else ''


# -- commutative merge expressions -------------------------------------

def least(old, new):
    """MIN of two nullable values (NULL means "not known")."""
    return sa.case((old.is_(None), new), (new.is_(None), old),
                   (new < old, new), else_=old)


def greatest(old, new):
    """MAX of two nullable values (NULL means "not known")."""
    return sa.case((old.is_(None), new), (new.is_(None), old),
                   (new > old, new), else_=old)


def least_known(a, b):
    """``least`` in Python, for folding a batch's rows before the upsert:
    the smaller of two values, None meaning "not known"."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def newer(old_time, old_tie, new_time, new_tie):
    """True when the incoming (time, tie-break) is greater than the stored
    one; a NULL time never wins."""
    return sa.and_(
        new_time.is_not(None),
        sa.or_(old_time.is_(None), new_time > old_time,
               sa.and_(new_time == old_time, new_tie > old_tie)))


def older(old_time, old_tie, new_time, new_tie):
    """True when the incoming (time, tie-break) is smaller than the stored
    one; a NULL time never wins."""
    return sa.and_(
        new_time.is_not(None),
        sa.or_(old_time.is_(None), new_time < old_time,
               sa.and_(new_time == old_time, new_tie < old_tie)))


def prefer(stored, incoming, order):
    """True when the incoming row is better by a lexicographic order.

    ``order`` lists ``(column name, smaller_is_better)``, most
    significant first; the first column is NULL when the row has no such
    value, and a NULL never wins.
    """
    better = sa.false()
    for name, smaller in reversed(order):
        mine, theirs = incoming[name], stored[name]
        strictly = mine < theirs if smaller else mine > theirs
        better = sa.or_(strictly, sa.and_(mine == theirs, better))
    first = order[0][0]
    return sa.and_(incoming[first].is_not(None),
                   sa.or_(stored[first].is_(None), better))


def assign_compared(stored, incoming, wins, order):
    """The assignments of the columns ``prefer`` compared, least
    significant first.

    MySQL applies assignments in order and later conditions see the new
    values: in this order, a decision taken on a less significant column
    leaves the more significant ones equal, and one taken on a more
    significant column still holds, so every column follows the same
    decision. Assign the columns that depend on ``wins`` before these.
    """
    return [(name, sa.case((wins, incoming[name]), else_=stored[name]))
            for name, _smaller in reversed(order)]


#: The format of an end that no notification of the operation reported,
#: plus the format of the failure elsewhere that ends it (see
#: ``timings.endpoints_of``): any reported end beats it.
INFERRED = 2


def format_of(row):
    """0 for a legacy notification, 1 for a versioned one.

    Where nova sends both, the legacy copy comes first and is preferred.
    """
    return 0 if row['object_name'] is None else 1


def better_start(format_, at, message_id, current):
    """Whether a start (format, time, id) beats ``current``'s (a triple
    or None): legacy first, then the earliest."""
    if current is None:
        return True
    return (format_, at, message_id) < current


def better_end(format_, at, message_id, current):
    """Whether an end (format, time, id) beats ``current``'s (a triple or
    None): legacy first, then the latest."""
    if current is None:
        return True
    if format_ != current[0]:
        return format_ < current[0]
    return (at, message_id) > (current[1], current[2])


