"""Read queries of requests and traces (``/v1/requests``,
``/v1/requests/{request_id}``).

Times are returned as naive UTC ``datetime`` objects, durations as integer
microseconds.

A trace gathers every request of one global request: the request asked
for, the request whose id is its global request id, and every request
(neutron's, cinder's ...) that names that id as its global request id.
Its spans:

* ``request``: one per request id, from its first to its last
  notification;
* ``operation``: one per operation (``timings``), nested in the smallest
  operation of the same request that contains it in time, else in its
  request;
* ``profiler``: OSProfiler trace points, nested by their parent id, under
  the request they name (or the root);
* a request other than the root nests in the smallest operation span of
  another request that contains its start (the service hop), else under
  the root.

A span dict::

    {"id", "parent_id", "kind", "request_id", "service", "host",
     "operation", "resource_id", "started_at", "ended_at", "duration_us",
     "outcome", "notifications": [{"message_id", "event_type",
     "priority", "generated_at", "host"}], "children": [span, ...]}

An operation span that would repeat its request span (same request,
start and end) is folded into it. Each notification of the trace sits in
the innermost span of its request that contains its time. The critical
path is the longest chain of work over the whole tree (see
``_critical_path``).
"""

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng import queries
from stacktach_ng.analyses import requests
from stacktach_ng.analyses import times
from stacktach_ng.common import timestamps
from stacktach_ng.db import chunking
from stacktach_ng.db import models
from stacktach_ng.queries import timings

NOTIFICATIONS = models.Notification.__table__
REQUESTS = models.analyses.Request.__table__
OPERATIONS = models.analyses.Operation.__table__
RESOURCES = models.analyses.Resource.__table__
SPANS = models.analyses.ProfilerSpan.__table__

# Bounds on what one trace reads.
MAX_REQUESTS = 1000
MAX_NOTIFICATIONS = 20000
MAX_SPANS = 20000

OUTCOME_OPEN = 'open'


def _scoped(query, table, project_id):
    if project_id is not None:
        query = query.where(table.c.project_id == project_id)
    return query


def request_item(row, at_work=False, recovered=False):
    """The dict of a ``requests`` row.

    A request is open while any of its operations is (started, not
    ended), whatever ended before: a boot's API and scheduling spans end
    within a second, its compute span a minute later; and while a task
    state it set still stands (``analyses.requests.open_requests``). A
    failed request is failed even with spans left open (nova sends no end
    for what a failure interrupted), unless every failed operation of it
    was retried with success (``recovered``, see
    ``analyses.requests.recovered_requests``).
    """
    if row.failed and not recovered:
        outcome = 'error'
    elif row.end_us is not None and not at_work:
        outcome = 'success'
    else:
        outcome = OUTCOME_OPEN
    end_us = row.end_us if outcome != OUTCOME_OPEN else None
    return {
        'request_id': row.request_id,
        'global_request_id': row.global_request_id,
        'project_id': row.project_id,
        'operation': row.operation,
        'first_event_type': row.first_event_type,
        'service': row.service,
        'host': row.host,
        'started_at': times.from_us(row.first_us),
        'ended_at': times.from_us(end_us),
        'last_at': times.from_us(row.last_us),
        'duration_us': (end_us - row.first_us
                        if end_us is not None else None),
        'outcome': outcome,
        'notifications': row.notifications,
    }


def _recovered(connection, rows):
    """The failed requests among ``rows`` that recovered."""
    found = set()
    request_ids = [row.request_id for row in rows if row.failed]
    for chunk in chunking.chunks(request_ids):
        query = requests.recovered_requests()
        found.update(connection.execute(query.where(
            query.selected_columns.request_id.in_(chunk))).scalars())
    return found


def _at_work(connection, request_ids):
    """The subset of ``request_ids`` still at work (``open_requests``)."""
    found = set()
    request_ids = list(request_ids)
    for chunk in chunking.chunks(request_ids):
        found.update(connection.execute(requests.open_span_requests().where(
            OPERATIONS.c.request_id.in_(chunk))).scalars())
        found.update(connection.execute(requests.busy_resource_requests().where(
            RESOURCES.c.state_request_id.in_(chunk))).scalars())
    return found


def list_requests(connection, project_id=None, since=None, until=None,
                  operation=None, outcome=None, marker=None, limit=100):
    """One page of requests, most recent first.

    :param since/until: naive UTC datetimes bounding the first
        notification (inclusive / exclusive).
    :param operation: the request's operation (``instance.create``).
    :param outcome: ``error`` (something failed), ``success`` (ended, no
        failure) or ``open`` (no end yet).
    :param marker: the request id of the last item of the previous page.
    :returns: ``(requests, more)``: dicts ``{"request_id",
        "global_request_id", "project_id", "operation",
        "first_event_type", "service", "host", "started_at", "ended_at",
        "last_at", "duration_us", "outcome", "notifications"}``;
        ``duration_us`` runs from the first notification to the last
        ``.end`` / ``.error``.
    :raises exception.MarkerNotFound: the marker names no request in scope.
    :raises exception.InvalidParameter: an unknown outcome.
    """
    table = REQUESTS
    query = _scoped(sa.select(table), table, project_id)
    if since is not None:
        query = query.where(table.c.first_us >= times.to_us(since))
    if until is not None:
        query = query.where(table.c.first_us < times.to_us(until))
    if operation is not None:
        query = query.where(table.c.operation == operation)
    if outcome is not None:
        if outcome == 'error':
            query = query.where(requests.request_failed())
        elif outcome == 'success':
            query = query.where(
                ~requests.request_failed(), table.c.end_us.is_not(None),
                table.c.request_id.not_in(requests.open_requests()))
        elif outcome == OUTCOME_OPEN:
            query = query.where(~requests.request_failed(), sa.or_(
                table.c.end_us.is_(None),
                table.c.request_id.in_(requests.open_requests())))
        else:
            raise exception.InvalidParameter('unknown outcome %r' % outcome)
    if marker is not None:
        key = connection.execute(_scoped(
            sa.select(table.c.first_us).where(table.c.request_id == marker),
            table, project_id)).scalar()
        if key is None:
            raise exception.MarkerNotFound(marker=marker)
        query = query.where(sa.or_(table.c.first_us < key, sa.and_(
            table.c.first_us == key, table.c.request_id < marker)))
    query = query.order_by(table.c.first_us.desc(),
                           table.c.request_id.desc()).limit(limit + 1)
    rows, more = queries.page(connection.execute(query), limit)
    recovered = _recovered(connection, rows)
    with_open = _at_work(connection, [
        row.request_id for row in rows
        if not row.failed or row.request_id in recovered])
    return [request_item(row, row.request_id in with_open,
                         row.request_id in recovered)
            for row in rows], more


def _span(span_id, kind, request_id, service, host, operation, resource_id,
          start_us, end_us, outcome):
    return {
        'id': span_id, 'parent_id': None, 'kind': kind,
        'request_id': request_id, 'service': service, 'host': host,
        'operation': operation, 'resource_id': resource_id,
        'start_us': start_us, 'end_us': end_us, 'outcome': outcome,
        'notifications': [], 'children': [],
    }


def _contains(outer, inner):
    if outer['start_us'] is None or inner['start_us'] is None:
        return False
    outer_end = outer['end_us'] if outer['end_us'] is not None else \
        outer['last_us']
    inner_end = inner['end_us'] if inner['end_us'] is not None else \
        inner['start_us']
    return outer['start_us'] <= inner['start_us'] and inner_end <= outer_end


def _length(span):
    end = span['end_us'] if span['end_us'] is not None else span['last_us']
    return end - span['start_us']


def _encloses(outer, inner):
    """Whether ``outer`` may be ``inner``'s parent: it contains it in
    time and is longer, or as long with a smaller id (so that two spans
    with the same times never parent each other)."""
    if outer is inner or not _contains(outer, inner):
        return False
    outer_length, inner_length = _length(outer), _length(inner)
    return outer_length > inner_length or (
        outer_length == inner_length and outer['id'] < inner['id'])


def _smallest_containing(candidates, inner):
    best = None
    for outer in candidates:
        if not _encloses(outer, inner):
            continue
        if best is None or _length(outer) < _length(best):
            best = outer
    return best


def _fold_duplicate_operations(request_spans, operation_spans, spans):
    """Drop an operation span that repeats its request span (same
    request, same start and end, directly under it): the request row
    already shows it. Its children move up to the request span, which
    takes its operation name and resource."""
    for rid, ops in operation_spans.items():
        request = request_spans.get(rid)
        if request is None:
            continue
        for span in list(ops):
            if (span['parent_id'] != request['id']
                    or span['start_us'] != request['start_us']
                    or span['end_us'] != request['end_us']):
                continue
            ops.remove(span)
            spans.remove(span)
            for other in ops:
                if other['parent_id'] == span['id']:
                    other['parent_id'] = request['id']
            request['operation'] = span['operation']
            request['resource_id'] = (request['resource_id']
                                      or span['resource_id'])
            if span['outcome'] == 'error':
                request['outcome'] = 'error'


def get_trace(connection, request_id, project_id=None, now=None):
    """The trace of a request (or of a global request id, or of an
    OSProfiler base id), or None when nothing of it is in the scope.

    :returns: ``{"request_id", "global_request_id", "requests": [request
        dicts of list_requests], "started_at", "ended_at", "duration_us",
        "outcome", "root": span tree, "critical_path": [span ids],
        "span_count"}``.
    """
    row = connection.execute(_scoped(
        sa.select(REQUESTS).where(REQUESTS.c.request_id == request_id),
        REQUESTS, project_id)).first()
    root_id = request_id
    if row is not None and row.global_request_id:
        root_id = row.global_request_id
    request_rows = list(connection.execute(_scoped(
        sa.select(REQUESTS).where(sa.or_(
            REQUESTS.c.request_id == root_id,
            REQUESTS.c.global_request_id == root_id,
            REQUESTS.c.request_id == request_id)),
        REQUESTS, project_id).order_by(REQUESTS.c.first_us)
        .limit(MAX_REQUESTS)))
    request_ids = [r.request_id for r in request_rows]
    profiler_rows = list(connection.execute(_scoped(
        sa.select(SPANS).where(sa.or_(
            SPANS.c.base_id == request_id,
            SPANS.c.request_id.in_(request_ids or [request_id]))),
        SPANS, project_id).limit(MAX_SPANS)))
    if not request_rows and not profiler_rows:
        return None
    now_us = times.to_us(now or timestamps.utcnow())

    spans = []
    request_spans = {}
    with_open = _at_work(connection, request_ids)
    recovered = _recovered(connection, request_rows)
    for r in request_rows:
        item = request_item(r, r.request_id in with_open,
                            r.request_id in recovered)
        is_open = item['outcome'] == OUTCOME_OPEN
        span = _span('request:%s' % r.request_id, 'request', r.request_id,
                     r.service, r.host, r.operation or r.first_event_type,
                     None, r.first_us, None if is_open else r.last_us,
                     item['outcome'])
        span['last_us'] = now_us if is_open else r.last_us
        request_spans[r.request_id] = span
        spans.append(span)

    operation_spans = {}
    for op in timings.operations_of(connection, project_id,
                                    request_ids=request_ids, now=now):
        start_us = times.to_us(op['started_at'] or op['ended_at'])
        end_us = times.to_us(op['ended_at'])
        span = _span('operation:%s' % op['id'], 'operation',
                     op['request_id'], op['service'], op['host'],
                     op['operation'], op['resource_id'], start_us, end_us,
                     op['outcome'])
        parent_request = request_spans.get(op['request_id'])
        span['last_us'] = parent_request['last_us'] if parent_request \
            else now_us
        operation_spans.setdefault(op['request_id'], []).append(span)
        spans.append(span)

    # Operations nest in the smallest operation of their request around
    # them, else in their request.
    for rid, ops in operation_spans.items():
        for span in ops:
            parent = (_smallest_containing(ops, span)
                      or request_spans.get(rid))
            span['parent_id'] = parent['id'] if parent else None

    _fold_duplicate_operations(request_spans, operation_spans, spans)

    # Requests other than the root: the service hop.
    root = request_spans.get(root_id)
    if root is None:
        root = request_spans.get(request_id)
    all_operations = [s for ops in operation_spans.values() for s in ops]
    for rid, span in request_spans.items():
        if span is root:
            continue
        others = [s for s in all_operations if s['request_id'] != rid]
        parent = _smallest_containing(others, span) or root
        span['parent_id'] = parent['id'] if parent else None

    by_trace = {}
    for p in profiler_rows:
        span = _span('profiler:%s' % p.trace_id, 'profiler', p.request_id,
                     p.service, p.host, p.name, None,
                     p.start_us if p.start_us is not None else p.end_us,
                     p.end_us,
                     'error' if p.failed else (
                         'success' if p.end_us is not None
                         else OUTCOME_OPEN))
        span['last_us'] = now_us
        span['_parent_trace'] = p.parent_id
        by_trace[p.trace_id] = span
        spans.append(span)
    for span in by_trace.values():
        parent = by_trace.get(span.pop('_parent_trace'))
        if parent is None:
            parent = request_spans.get(span['request_id']) or root
        span['parent_id'] = parent['id'] if parent else None

    if root is None:
        # Only profiler data: a synthetic root over its spans.
        starts = [s['start_us'] for s in spans if s['start_us'] is not None]
        ends = [s['end_us'] for s in spans if s['end_us'] is not None]
        root = _span('trace:%s' % request_id, 'trace', None, None, None,
                     None, None, min(starts) if starts else None,
                     max(ends) if ends else None,
                     'error' if any(s['outcome'] == 'error' for s in spans)
                     else 'success')
        root['last_us'] = root['end_us']
        for span in spans:
            if span['parent_id'] is None:
                span['parent_id'] = root['id']
        spans.append(root)

    _place_notifications(connection, project_id, request_rows,
                         request_spans, operation_spans)
    by_id = {span['id']: span for span in spans}
    for span in spans:
        if span is not root and span['parent_id'] in by_id:
            by_id[span['parent_id']]['children'].append(span)
    for span in spans:
        span['children'].sort(key=lambda s: (
            s['start_us'] if s['start_us'] is not None else 0, s['id']))
    critical = _critical_path(root)
    tree = _finish(root)
    return {
        'request_id': request_id,
        'global_request_id': root_id if root_id != request_id else None,
        'requests': [request_item(r, r.request_id in with_open,
                                  r.request_id in recovered)
                     for r in request_rows],
        'started_at': tree['started_at'],
        'ended_at': tree['ended_at'],
        'duration_us': tree['duration_us'],
        'outcome': tree['outcome'],
        'root': tree,
        'critical_path': critical,
        'span_count': len(spans),
    }


def _place_notifications(connection, project_id, request_rows, request_spans,
                         operation_spans):
    if not request_rows:
        return
    columns = [NOTIFICATIONS.c[name] for name in (
        'message_id', 'event_type', 'priority', 'generated_at', 'host',
        'request_id')]
    for start in range(0, len(request_rows), chunking.CHUNK):
        chunk = request_rows[start:start + chunking.CHUNK]
        query = _scoped(sa.select(*columns).where(
            NOTIFICATIONS.c.request_id.in_([r.request_id for r in chunk]),
            # Only the requests' time range: the day partitions they span.
            queries.dated_between(NOTIFICATIONS.c.generated_at,
                                  min(r.first_us for r in chunk),
                                  max(r.last_us for r in chunk))),
            NOTIFICATIONS, project_id).order_by(
            NOTIFICATIONS.c.generated_at, NOTIFICATIONS.c.message_id).limit(
            MAX_NOTIFICATIONS)
        for row in connection.execute(query):
            at = times.to_us(row.generated_at)
            point = {'id': '~', 'start_us': at, 'end_us': at}
            target = _smallest_containing(
                operation_spans.get(row.request_id, ()), point)
            if target is None:
                target = request_spans.get(row.request_id)
            if target is None:
                continue
            target['notifications'].append({
                'message_id': row.message_id,
                'event_type': row.event_type,
                'priority': row.priority,
                'generated_at': row.generated_at,
                'host': row.host,
            })


def _end(span):
    """Where a span's work stops: its end, or for an open span the last
    moment known."""
    if span['end_us'] is not None:
        return span['end_us']
    return span['last_us'] if span['last_us'] is not None else (
        span['start_us'] or 0)


def _critical_path(root):
    """The longest chain of work of the tree, as span ids in the order
    the tree is shown (parents before children, children by start).

    Walking back from the end of a span: the child whose work reaches
    latest before that moment is on the path (and so, inside it, its own
    chain), then the moment moves to that child's start and the next
    child is looked for before it. A long child that ended before a
    short one started is on the path with it: the path is what the
    request waited on, not one branch.
    """
    on_path = set()

    def walk(span, until):
        on_path.add(span['id'])
        point = min(_end(span), until)
        candidates = [child for child in span['children']
                      if child['start_us'] is not None]
        while True:
            before = [child for child in candidates
                      if child['start_us'] < point]
            if not before:
                return
            child = max(before, key=lambda c: (min(_end(c), point),
                                               _end(c) - c['start_us'],
                                               c['id']))
            walk(child, point)
            point = child['start_us']
            candidates.remove(child)

    walk(root, _end(root))
    ordered = []

    def visit(span):
        if span['id'] in on_path:
            ordered.append(span['id'])
        for child in span['children']:
            visit(child)

    visit(root)
    return ordered


def _finish(span):
    """The public form of a span tree (datetimes, no internal keys)."""
    start_us, end_us = span['start_us'], span['end_us']
    return {
        'id': span['id'], 'parent_id': span['parent_id'],
        'kind': span['kind'], 'request_id': span['request_id'] or None,
        'service': span['service'], 'host': span['host'],
        'operation': span['operation'],
        'resource_id': span['resource_id'] or None,
        'started_at': times.from_us(start_us),
        'ended_at': times.from_us(end_us),
        'duration_us': (end_us - start_us
                        if start_us is not None and end_us is not None
                        else None),
        'outcome': span['outcome'],
        'notifications': span['notifications'],
        'children': [_finish(child) for child in span['children']],
    }
