"""Export stored notifications as JSON lines: ``stacktach-ng-manage export``.

Each line is a notification as the ``messagingv2`` driver sends it::

    {"oslo.version": "2.0", "oslo.message": "<JSON text of the flat body>"}

where the flat body has the ``_context_*`` keys, ``message_id``,
``timestamp`` (the generated time, naive UTC), ``priority``,
``publisher_id``, ``event_type`` and ``payload``, and ``stacktach_ng``
for what the row knows that the message did not say (``timestamp_missing``,
``conflict_of``: see ``pipeline.identity``). What was stored is what is
written (the payload and context as scrubbed at ingest), so importing an
export into an empty database gives the same notifications: same message
ids, same normalized rows, only ``received_at`` differs.

Rows are read in pages keyed by id (``id > last id``), never all at once,
so memory stays bounded whatever the size of the export.
"""

import sqlalchemy as sa

from stacktach_ng.common import jsonutils
from stacktach_ng.db import models
from stacktach_ng.pipeline import forms

_TABLE = models.Notification.__table__
_CONTEXT_PREFIX = '_context_'
_V2_VERSION = 'oslo.version'
_V2_MESSAGE = 'oslo.message'
_TIMESTAMP_FORMAT = '%Y-%m-%d %H:%M:%S.%f'
_LIKE_ESCAPE = '\\'

DEFAULT_PAGE_SIZE = 1000

_COLUMNS = (_TABLE.c.id, _TABLE.c.message_id, _TABLE.c.event_type,
            _TABLE.c.priority, _TABLE.c.publisher_id,
            _TABLE.c.generated_at, _TABLE.c.payload, _TABLE.c.context,
            _TABLE.c.timestamp_missing, _TABLE.c.conflict_of)


def glob_to_like(pattern):
    """A SQL LIKE pattern (escape character ``\\``) for a glob with ``*``
    and ``?``; None when the glob has no wildcard (compare for equality)."""
    if '*' not in pattern and '?' not in pattern:
        return None
    out = []
    for char in pattern:
        if char in ('%', '_', _LIKE_ESCAPE):
            out.append(_LIKE_ESCAPE + char)
        elif char == '*':
            out.append('%')
        elif char == '?':
            out.append('_')
        else:
            out.append(char)
    return ''.join(out)


def filters(since=None, until=None, event_type=None, request_id=None,
            resource_id=None, project_id=None):
    """SQLAlchemy conditions on the notifications table.

    ``since`` is inclusive and ``until`` exclusive (naive UTC datetimes);
    ``event_type`` is a glob; ``request_id`` matches a notification's own
    request id or its global request id (the other services' part of the
    same request).
    """
    conditions = []
    if since is not None:
        conditions.append(_TABLE.c.generated_at >= since)
    if until is not None:
        conditions.append(_TABLE.c.generated_at < until)
    if event_type:
        like = glob_to_like(event_type)
        if like is None:
            conditions.append(_TABLE.c.event_type == event_type)
        else:
            conditions.append(_TABLE.c.event_type.like(
                like, escape=_LIKE_ESCAPE))
    if request_id:
        conditions.append(sa.or_(_TABLE.c.request_id == request_id,
                                 _TABLE.c.global_request_id == request_id))
    if resource_id:
        conditions.append(_TABLE.c.resource_id == resource_id)
    if project_id:
        conditions.append(_TABLE.c.project_id == project_id)
    return conditions


def wire_line(row):
    """The wire v2 JSON line (without newline) of a notifications row."""
    body = {}
    context = jsonutils.loads(row.context) if row.context else {}
    if isinstance(context, dict):
        for key, value in context.items():
            body[_CONTEXT_PREFIX + key] = value
    body['message_id'] = row.message_id
    body['timestamp'] = row.generated_at.strftime(_TIMESTAMP_FORMAT)
    body['priority'] = row.priority.lower()
    body['publisher_id'] = row.publisher_id
    body['event_type'] = row.event_type
    flags = {}
    if row.timestamp_missing:
        flags['timestamp_missing'] = True
    if row.conflict_of is not None:
        flags['conflict_of'] = row.conflict_of
    if flags:
        body[forms.EXPORT_FLAGS] = flags
    # The stored payload is already JSON text: splice it in rather than
    # parse and serialize it again.
    inner = (jsonutils.dumps(body)[:-1] + ',"payload":'
             + (row.payload or '{}') + '}')
    return jsonutils.dumps({_V2_VERSION: '2.0', _V2_MESSAGE: inner})


def iter_rows(database, conditions=(), page_size=DEFAULT_PAGE_SIZE):
    """The matching notifications rows in id order, a page at a time."""
    last_id = 0
    while True:
        query = (sa.select(*_COLUMNS)
                 .where(_TABLE.c.id > last_id, *conditions)
                 .order_by(_TABLE.c.id).limit(page_size))
        with database.reader() as connection:
            rows = connection.execute(query).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        if len(rows) < page_size:
            return


def export(database, output, conditions=(), page_size=DEFAULT_PAGE_SIZE):
    """Write the matching notifications to the text stream ``output`` as
    JSON lines; return how many were written."""
    count = 0
    for row in iter_rows(database, conditions, page_size):
        output.write(wire_line(row))
        output.write('\n')
        count += 1
    return count
