"""Read queries of the notifications table and of the ingest counters.

Notification lists are ordered by ``(generated_at, id)``, newest first by
default, and paged by keyset: the marker is the ``message_id`` of the last
notification of the previous page, looked up once through its unique
index. Every filter is an equality on an indexed or narrow column, so a
page costs an index range scan of ``limit + 1`` entries whatever the size
of the table.

Payloads and contexts are stored as JSON text; they are handed back as
``orjson.Fragment`` so that the API writes them into its response without
parsing and re-serializing them.
"""

import orjson
import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng import queries
from stacktach_ng.analyses import counts
from stacktach_ng.analyses import periods
from stacktach_ng.analyses import times
from stacktach_ng.common import timestamps
from stacktach_ng.db import models

NOTIFICATIONS = models.Notification.__table__
HEARTBEATS = models.ListenerHeartbeat.__table__
REJECTED = models.RejectedMessage.__table__

# The normalized columns a list can filter on by equality (``project_id``
# is the scope, not a filter; ``event_type`` also takes a glob).
FILTER_COLUMNS = (
    'message_id', 'priority', 'publisher_id', 'service', 'host',
    'request_id', 'global_request_id', 'user_id', 'resource_type',
    'resource_id', 'vm_state', 'old_vm_state', 'task_state',
    'old_task_state', 'power_state', 'object_name', 'object_version',
)

# The columns of a notification in a list (all but the JSON documents).
SUMMARY_COLUMNS = (
    'message_id', 'event_type', 'priority', 'publisher_id', 'service',
    'host', 'generated_at', 'received_at', 'request_id', 'global_request_id',
    'project_id', 'user_id', 'resource_type', 'resource_id', 'vm_state',
    'old_vm_state', 'task_state', 'old_task_state', 'power_state',
    'object_name', 'object_version', 'timestamp_missing', 'conflict_of',
)
DOCUMENT_COLUMNS = ('payload', 'context')

# The grouped lists (``/v1/event_types``, ``/v1/hosts``, ``/v1/services``).
COUNTED_COLUMNS = ('event_type', 'host', 'service')

_SUMMARY = [NOTIFICATIONS.c[name] for name in SUMMARY_COLUMNS]
_DOCUMENTS = [NOTIFICATIONS.c[name] for name in DOCUMENT_COLUMNS]


def _scoped(query, project_id):
    if project_id is not None:
        query = query.where(NOTIFICATIONS.c.project_id == project_id)
    return query


def _time_range(query, column, since, until):
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def _event_type(query, pattern):
    if pattern is None:
        return query
    column = NOTIFICATIONS.c.event_type
    if queries.is_glob(pattern):
        return query.where(column.like(queries.glob_to_like(pattern),
                                       escape='\\'))
    return query.where(column == pattern)


def _item(row, details):
    item = dict(zip(SUMMARY_COLUMNS, row, strict=False))
    if details:
        offset = len(SUMMARY_COLUMNS)
        for index, name in enumerate(DOCUMENT_COLUMNS):
            item[name] = _document(row[offset + index])
    return item


def _document(text):
    """Stored JSON text, to be embedded as it is in a response."""
    if text is None:
        return None
    return orjson.Fragment(text)


def list_notifications(connection, project_id=None, filters=None,
                       event_type=None, since=None, until=None,
                       marker=None, limit=100, sort_dir='desc',
                       details=False):
    """One page of notifications.

    :param project_id: the scope (None: every project).
    :param filters: ``{column: value}`` equalities, columns from
        ``FILTER_COLUMNS``.
    :param event_type: an event type, or a glob with ``*`` and ``?``.
    :param since: naive UTC datetime, inclusive bound of ``generated_at``.
    :param until: naive UTC datetime, exclusive bound of ``generated_at``.
    :param marker: the ``message_id`` of the last notification of the
        previous page.
    :param sort_dir: ``desc`` (newest first) or ``asc``.
    :param details: include the payload and context of each notification.
    :returns: ``(notifications, more)``, a list of dicts and whether a next
        page exists.
    :raises exception.MarkerNotFound: the marker names no notification in
        the scope.
    """
    table = NOTIFICATIONS
    columns = _SUMMARY + (_DOCUMENTS if details else [])
    query = _scoped(sa.select(*columns), project_id)
    for name, value in (filters or {}).items():
        if name not in FILTER_COLUMNS:
            raise exception.InvalidParameter(
                'cannot filter notifications on %r' % name)
        query = query.where(table.c[name] == value)
    query = _event_type(query, event_type)
    query = _time_range(query, table.c.generated_at, since, until)
    descending = sort_dir == 'desc'
    if marker is not None:
        key = connection.execute(_scoped(
            sa.select(table.c.generated_at, table.c.id)
            .where(table.c.message_id == marker), project_id)).first()
        if key is None:
            raise exception.MarkerNotFound(marker=marker)
        query = query.where(_after(key, descending))
    if descending:
        order = (table.c.generated_at.desc(), table.c.id.desc())
    else:
        order = (table.c.generated_at.asc(), table.c.id.asc())
    query = query.order_by(*order).limit(limit + 1)
    rows, more = queries.page(connection.execute(query), limit)
    return [_item(row, details) for row in rows], more


def _after(key, descending):
    """Rows after ``key = (generated_at, id)`` in the order of the list.

    Written as ``generated_at <= g AND (generated_at < g OR id < i)``
    rather than a row-value comparison: the first term is a plain range on
    the time indexes, which every backend's planner uses.
    """
    generated_at, row_id = key
    column = NOTIFICATIONS.c.generated_at
    if descending:
        return sa.and_(column <= generated_at, sa.or_(
            column < generated_at, NOTIFICATIONS.c.id < row_id))
    return sa.and_(column >= generated_at, sa.or_(
        column > generated_at, NOTIFICATIONS.c.id > row_id))


def get_notification(connection, message_id, project_id=None):
    """One notification with its payload and context, or None."""
    query = _scoped(sa.select(*_SUMMARY, *_DOCUMENTS).where(
        NOTIFICATIONS.c.message_id == message_id), project_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    return _item(row, details=True)


def count_by(connection, column, project_id=None, since=None, until=None,
             marker=None, limit=100, use_rollups=False):
    """The distinct values of a column with their counts, by value.

    :param column: one of ``COUNTED_COLUMNS``.
    :param marker: the last value of the previous page.
    :returns: ``(items, more)``; each item is ``{column: value, 'count':
        n, 'first_seen': datetime, 'last_seen': datetime}``. Rows where
        the column is empty are not counted.
    :param use_rollups: the summary roll-ups are kept (the ``summary``
        handler is enabled): every project's counts of whole hours and
        days come from them (``analyses.counts``), only the partial hours
        at the period's edges from the notifications.
    """
    if column not in COUNTED_COLUMNS:
        raise exception.InvalidParameter(
            'cannot count notifications by %r' % column)
    if use_rollups and project_id is None:
        rolled = _rolled_up_count_by(connection, column, since, until,
                                     marker, limit)
        if rolled is not None:
            return rolled
    table = NOTIFICATIONS
    key = table.c[column]
    query = sa.select(
        key, sa.func.count().label('count'),
        sa.func.min(table.c.generated_at).label('first_seen'),
        sa.func.max(table.c.generated_at).label('last_seen'),
    ).where(key.is_not(None))
    query = _scoped(query, project_id)
    query = _time_range(query, table.c.generated_at, since, until)
    if marker is not None:
        query = query.where(key > marker)
    query = query.group_by(key).order_by(key).limit(limit + 1)
    rows, more = queries.page(connection.execute(query), limit)
    return [{column: row[0], 'count': row[1], 'first_seen': row[2],
             'last_seen': row[3]} for row in rows], more


def _rolled_up_count_by(connection, column, since, until, marker, limit):
    """``count_by`` of every project from the summary roll-ups of the
    whole hours and days of the period and the notifications of its
    partial hours; None when the period holds no whole hour."""
    rollups = counts.ROLLUPS
    low = high = None
    if since is None or until is None:
        # The whole stored history on that side: from the first day
        # rolled up, to the end of the last one.
        low, high = connection.execute(sa.select(
            sa.func.min(rollups.c.bucket_us),
            sa.func.max(rollups.c.bucket_us)).where(
            rollups.c.width_us == periods.DAY_US)).one()
        if low is None:
            return None
    since_us = low if since is None else times.to_us(since)
    until_us = high + periods.DAY_US if until is None else times.to_us(
        until)
    first, last = periods.whole_hours(since_us, until_us)
    if first >= last:
        return None
    days, hours, _exact = periods.plan(first, last)
    found = {}

    def add(name, count, first_us, last_us):
        item = found.get(name)
        if item is None:
            found[name] = [int(count), first_us, last_us]
        else:
            item[0] += int(count)
            item[1] = min(item[1], first_us)
            item[2] = max(item[2], last_us)

    query = sa.select(
        rollups.c.name, sa.func.sum(rollups.c.notifications),
        sa.func.min(rollups.c.first_us), sa.func.max(rollups.c.last_us),
    ).where(rollups.c.dimension == column, rollups.c.name != '',
            sa.or_(*[periods.in_buckets(rollups, width, buckets)
                     for width, buckets in ((periods.DAY_US, days),
                                            (periods.HOUR_US, hours))
                     if buckets])).group_by(rollups.c.name)
    if marker is not None:
        query = query.where(rollups.c.name > marker)
    for name, count, first_us, last_us in connection.execute(query):
        add(name, count, first_us, last_us)
    key = NOTIFICATIONS.c[column]
    at = NOTIFICATIONS.c.generated_at
    for start, end in ((since_us, first), (last, until_us)):
        if start >= end:
            continue
        query = sa.select(key, sa.func.count(), sa.func.min(at),
                          sa.func.max(at)).where(
            key.is_not(None), at >= times.from_us(start),
            at < times.from_us(end)).group_by(key)
        if marker is not None:
            query = query.where(key > marker)
        for name, count, first_at, last_at in connection.execute(query):
            add(name, count, times.to_us(first_at), times.to_us(last_at))
    names = sorted(found)
    items = [{column: name, 'count': found[name][0],
              'first_seen': times.from_us(found[name][1]),
              'last_seen': times.from_us(found[name][2])}
             for name in names[:limit]]
    return items, len(names) > limit


def ingest_metrics(connection, now=None):
    """The numbers behind ``/metrics``.

    :returns: a dict with ``counters`` (the listener counters summed over
        every worker that ever reported: stored, duplicates, rejected,
        requeued, batches, conflicts, undated), ``workers`` (rows of
        ``listener_heartbeats``: worker, host, started_at, last_seen),
        ``rejected_stored`` (rows of ``rejected_messages``), ``lag``
        (``{service: seconds}``, now minus the newest ``generated_at`` of
        each publishing service) and ``verifier_backlog`` (usage
        ``.exists`` records pending verification, None when the usage
        tables do not exist).
    """
    now = now or timestamps.utcnow()
    counters = ('stored', 'duplicates', 'rejected', 'requeued', 'batches',
                'conflicts', 'undated')
    sums = connection.execute(sa.select(*[
        sa.func.coalesce(sa.func.sum(HEARTBEATS.c[name]), 0)
        for name in counters])).one()
    workers = [row._asdict() for row in connection.execute(
        sa.select(HEARTBEATS.c.worker, HEARTBEATS.c.host,
                  HEARTBEATS.c.started_at, HEARTBEATS.c.last_seen)
        .order_by(HEARTBEATS.c.worker))]
    rejected_stored = connection.execute(
        sa.select(sa.func.count()).select_from(REJECTED)).scalar_one()
    # GROUP BY on the (service, generated_at) index: MySQL reads one
    # index entry per service; SQLite and PostgreSQL scan the index, which
    # is still far cheaper than the table.
    newest = connection.execute(
        sa.select(NOTIFICATIONS.c.service,
                  sa.func.max(NOTIFICATIONS.c.generated_at))
        .where(NOTIFICATIONS.c.service.is_not(None))
        .group_by(NOTIFICATIONS.c.service))
    lag = {service: max((now - newest_at).total_seconds(), 0.0)
           for service, newest_at in newest if newest_at is not None}
    return {
        'counters': dict(zip(counters, (int(v) for v in sums),
                             strict=True)),
        'workers': workers,
        'rejected_stored': rejected_stored,
        'lag': lag,
        'verifier_backlog': _verifier_backlog(connection),
    }


def _verifier_backlog(connection):
    if not sa.inspect(connection).has_table('usage_exists'):
        return None
    exists = sa.table('usage_exists', sa.column('status'))
    return connection.execute(
        sa.select(sa.func.count()).select_from(exists)
        .where(exists.c.status == 'pending')).scalar_one()
