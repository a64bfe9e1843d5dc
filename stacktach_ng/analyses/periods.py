"""Hours and days of epoch-microsecond times, and the split of a period
into the whole days and hours that roll-ups answer and the parts that
must be read row by row (``analyses.rollups``, ``analyses.counts``)."""

import sqlalchemy as sa

HOUR_US = 3600 * 1000000
DAY_US = 24 * HOUR_US


def hour_of(at_us):
    """The start of the hour of an epoch-microsecond time."""
    return at_us - at_us % HOUR_US


def day_of(at_us):
    """The start of the UTC day of an epoch-microsecond time."""
    return at_us - at_us % DAY_US


def whole_hours(since_us, until_us):
    """(first, last): the whole hours [first, last) inside [since_us,
    until_us); ``first >= last`` when there is none."""
    return since_us - since_us % -HOUR_US, hour_of(until_us)


def plan(first, last, dirty=frozenset(), days=True):
    """Split the whole hours [first, last) into what roll-ups answer and
    what must be read row by row: ``(day buckets, hour buckets, exact
    [start, end) ranges)``. A day is read from its day roll-ups when it
    lies whole in the period, ``days`` is true and none of its hours is
    in ``dirty`` (hours whose roll-ups are behind); a dirty hour is read
    row by row."""
    day_buckets, hour_buckets, exact = [], [], []

    def add_exact(start, end):
        if exact and exact[-1][1] == start:
            exact[-1] = (exact[-1][0], end)
        else:
            exact.append((start, end))

    hour = first
    while hour < last:
        if (days and hour % DAY_US == 0 and hour + DAY_US <= last
                and not any(hour <= h < hour + DAY_US for h in dirty)):
            day_buckets.append(hour)
            hour += DAY_US
            continue
        if hour in dirty:
            add_exact(hour, hour + HOUR_US)
        else:
            hour_buckets.append(hour)
        hour += HOUR_US
    return day_buckets, hour_buckets, exact


def ranges(buckets, width):
    """Sorted buckets of ``width`` as [start, end) ranges of contiguous
    ones."""
    out = []
    for bucket in buckets:
        if out and out[-1][1] == bucket:
            out[-1][1] = bucket + width
        else:
            out.append([bucket, bucket + width])
    return [tuple(item) for item in out]


def in_buckets(table, width, buckets):
    """The condition selecting ``table``'s rows (``width_us``,
    ``bucket_us``) of the sorted ``buckets`` of ``width``."""
    return sa.and_(
        table.c.width_us == width,
        sa.or_(*[sa.and_(table.c.bucket_us >= start,
                         table.c.bucket_us < end)
                 for start, end in ranges(buckets, width)]))
