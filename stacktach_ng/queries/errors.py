"""Read queries of failures (``/v1/errors``, ``/v1/errors/{fingerprint}``).

Times are returned as naive UTC ``datetime`` objects.

An error event dict::

    {"message_id", "fingerprint", "exception", "message",
     "masked_message", "function_name", "module_name", "operation",
     "event_type", "priority", "generated_at", "service", "host",
     "request_id", "resource_id", "project_id"}

A group dict::

    {"fingerprint", "exception", "message" (the masked message),
     "operations": [...], "count", "first_seen", "last_seen",
     "hosts": [...], "services": [...], "sample_requests": [...]}

Nova's ``both`` format reports a failure twice (legacy, then versioned a
moment later, with the same operation, resource and request): such twins
count once, as the versioned event, which names the exception class.
"""

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng.analyses import times
from stacktach_ng.db import chunking
from stacktach_ng.db import models

ERRORS = models.analyses.ErrorEvent.__table__

# Largest gap between the legacy and the versioned copy of one failure.
# nova sends the versioned copy after the legacy one, once it has built
# the exception payload: about 150 ms apart for a conductor's NoValidHost
# on a real nova 34 (tests/fixtures/openstack). A wider window cannot pair
# two different failures wrongly: copies pair one legacy with one
# versioned, closest first, so every failure sent in both formats still
# counts once.
TWIN_WINDOW_US = 2000000

# Bound on the events read for one list.
MAX_EVENTS = 100000

SAMPLE_REQUESTS = 5

_EVENT_COLUMNS = ('message_id', 'fingerprint', 'exception', 'message',
                  'masked_message', 'function_name', 'module_name',
                  'operation', 'event_type', 'priority', 'service', 'host',
                  'request_id', 'resource_id', 'project_id')
_COLUMNS = [ERRORS.c[name] for name in _EVENT_COLUMNS] + [
    ERRORS.c.generated_us, ERRORS.c.twin_key, ERRORS.c.versioned]


def _scoped(query, project_id):
    if project_id is not None:
        query = query.where(ERRORS.c.project_id == project_id)
    return query


def collapse_twins(rows):
    """The rows without the legacy copies of versioned failures.

    ``rows``: objects with ``twin_key``, ``versioned``, ``generated_us``
    and ``message_id``. A legacy row and a versioned row with the same
    twin key at most ``TWIN_WINDOW_US`` apart pair up (closest first);
    the versioned one is kept.
    """
    by_key = {}
    for row in rows:
        by_key.setdefault(row.twin_key, []).append(row)
    kept = []
    for group in by_key.values():
        legacy = sorted((r for r in group if not r.versioned),
                        key=lambda r: (r.generated_us, r.message_id))
        versioned = sorted((r for r in group if r.versioned),
                           key=lambda r: (r.generated_us, r.message_id))
        paired = set()
        for row in versioned:
            kept.append(row)
            best = None
            for candidate in legacy:
                if candidate.message_id in paired:
                    continue
                gap = abs(candidate.generated_us - row.generated_us)
                if gap <= TWIN_WINDOW_US and (best is None or gap < best[0]):
                    best = (gap, candidate)
            if best is not None:
                paired.add(best[1].message_id)
        kept.extend(r for r in legacy if r.message_id not in paired)
    kept.sort(key=lambda r: (r.generated_us, r.message_id))
    return kept


def _event(row):
    item = {name: getattr(row, name) for name in _EVENT_COLUMNS}
    item['generated_at'] = times.from_us(row.generated_us)
    return item


def _with_twins(connection, rows, project_id):
    """``rows`` plus the stored twins of their keys (so that pairing sees
    both copies even when only one matched a filter)."""
    keys = sorted({row.twin_key for row in rows})
    seen = {row.message_id for row in rows}
    out = list(rows)
    for start in range(0, len(keys), chunking.CHUNK):
        query = _scoped(sa.select(*_COLUMNS).where(
            ERRORS.c.twin_key.in_(keys[start:start + chunking.CHUNK])),
            project_id)
        out.extend(row for row in connection.execute(query)
                   if row.message_id not in seen)
    return out


def error_events(connection, project_id=None, resource_id=None,
                 request_id=None, fingerprint=None, since=None, until=None,
                 limit=1000):
    """Failure events (twins collapsed), oldest first.

    :param since/until: naive UTC datetimes (inclusive / exclusive).
    :returns: a list of error event dicts (module doc), at most ``limit``.
    """
    query = _scoped(sa.select(*_COLUMNS), project_id)
    if resource_id is not None:
        query = query.where(ERRORS.c.resource_id == resource_id)
    if request_id is not None:
        query = query.where(ERRORS.c.request_id == request_id)
    if fingerprint is not None:
        query = query.where(ERRORS.c.fingerprint == fingerprint)
    query = _time_range(query, since, until).order_by(
        ERRORS.c.generated_us).limit(MAX_EVENTS)
    rows = list(connection.execute(query))
    matched = {row.message_id for row in rows}
    kept = [row for row in collapse_twins(
        _with_twins(connection, rows, project_id))
        if row.message_id in matched]
    return [_event(row) for row in kept[:limit]]


def _time_range(query, since, until):
    if since is not None:
        query = query.where(ERRORS.c.generated_us >= times.to_us(since))
    if until is not None:
        query = query.where(ERRORS.c.generated_us < times.to_us(until))
    return query


def _groups(rows):
    groups = {}
    for row in rows:
        group = groups.get(row.fingerprint)
        if group is None:
            group = groups[row.fingerprint] = {
                'fingerprint': row.fingerprint,
                'exception': row.exception,
                'message': row.masked_message,
                'operations': set(), 'count': 0,
                'first_us': row.generated_us, 'last_us': row.generated_us,
                'hosts': set(), 'services': set(), 'sample_requests': [],
            }
        group['count'] += 1
        group['first_us'] = min(group['first_us'], row.generated_us)
        group['last_us'] = max(group['last_us'], row.generated_us)
        if row.operation:
            group['operations'].add(row.operation)
        if row.host:
            group['hosts'].add(row.host)
        if row.service:
            group['services'].add(row.service)
        if (row.request_id
                and row.request_id not in group['sample_requests']
                and len(group['sample_requests']) < SAMPLE_REQUESTS):
            group['sample_requests'].append(row.request_id)
    out = []
    for group in groups.values():
        group['first_seen'] = times.from_us(group.pop('first_us'))
        group['last_seen'] = times.from_us(group.pop('last_us'))
        for name in ('operations', 'hosts', 'services'):
            group[name] = sorted(group[name])
        out.append(group)
    out.sort(key=lambda g: (g['last_seen'], g['fingerprint']), reverse=True)
    return out


def list_errors(connection, project_id=None, since=None, until=None,
                operation=None, host=None, marker=None, limit=100):
    """One page of error groups, most recently seen first.

    :param since/until: naive UTC datetimes (inclusive / exclusive).
    :param marker: the fingerprint of the last group of the previous page.
    :returns: ``(groups, more)``: group dicts (module doc).
    :raises exception.MarkerNotFound: the marker is not a group of the list.
    """
    query = _time_range(_scoped(sa.select(*_COLUMNS), project_id),
                        since, until)
    if operation is not None:
        query = query.where(ERRORS.c.operation == operation)
    if host is not None:
        query = query.where(ERRORS.c.host == host)
    query = query.order_by(ERRORS.c.generated_us.desc()).limit(MAX_EVENTS)
    rows = list(connection.execute(query))
    matched = {row.message_id for row in rows}
    kept = [row for row in collapse_twins(
        _with_twins(connection, rows, project_id))
        if row.message_id in matched]
    groups = _groups(kept)
    if marker is not None:
        fingerprints = [g['fingerprint'] for g in groups]
        if marker not in fingerprints:
            raise exception.MarkerNotFound(marker=marker)
        groups = groups[fingerprints.index(marker) + 1:]
    return groups[:limit], len(groups) > limit


def get_error_group(connection, fingerprint, project_id=None, since=None,
                    until=None, limit=100):
    """One error group with its latest events, or None.

    :returns: the group dict (module doc) plus ``"events"``: up to
        ``limit`` error event dicts, newest first, and ``"function_name"``
        / ``"module_name"`` of the latest event.
    """
    events = error_events(connection, project_id, fingerprint=fingerprint,
                          since=since, until=until, limit=MAX_EVENTS)
    if not events:
        return None
    rows = [_EventRow(event) for event in events]
    group = _groups(rows)[0]
    latest = list(reversed(events))
    group['function_name'] = latest[0]['function_name']
    group['module_name'] = latest[0]['module_name']
    group['events'] = latest[:limit]
    return group


class _EventRow:
    """An event dict seen as a row by ``_groups``."""

    def __init__(self, event):
        self.__dict__.update(event)
        self.generated_us = times.to_us(event['generated_at'])
