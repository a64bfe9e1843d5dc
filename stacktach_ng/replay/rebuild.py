"""Recompute derived data: ``stacktach-ng-manage rebuild``.

After an upgrade that changes what an analysis handler derives, its tables
are emptied and refilled from the stored notifications, read in bounded
chunks by id, each chunk replayed through the handlers in its own
transaction by the pipeline's handler loop, exactly as the listener would
run them. Stop the listeners first (or accept that notifications stored
during the rebuild may be counted in the chunk that reads them and again
by the listener's handler).
"""

import sqlalchemy as sa

from stacktach_ng.common import jsonutils
from stacktach_ng.db import models
from stacktach_ng.handlers import base as handler_base
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import resources
from stacktach_ng.pipeline import runner

_NOTIFICATIONS = models.Notification.__table__

CHUNK = 2000


def rebuildable(handlers):
    """The handlers whose data can be rebuilt: the analysis handlers."""
    return [handler for handler in handlers
            if isinstance(handler, handler_base.AnalysisHandler)]


def _records(rows):
    for row in rows:
        data = dict(row._mapping)
        data.pop('id', None)
        try:
            payload = jsonutils.loads(data['payload'])
            context = jsonutils.loads(data['context'])
        except ValueError:
            payload, context = {}, {}
        payload = payload if isinstance(payload, dict) else {}
        # What the row does not keep: every resource of a bulk event and
        # the failure an info notification reports, found again.
        versioned = resources.versioned_data(payload)
        facts = resources.extract(data['event_type'], payload, versioned[0],
                                  versioned[1])
        ids = facts.get('resource_ids')
        yield normalize.Record(data, payload,
                               context if isinstance(context, dict) else {},
                               versioned,
                               tuple(str(i) for i in ids) if ids else None,
                               facts.get('failure'))


def rebuild_handlers(database, handlers, chunk_size=CHUNK, progress=None):
    """Empty the handlers' tables, then replay every stored notification
    through them; return the number of notifications replayed."""
    with database.writer() as connection:
        for handler in handlers:
            handler.reset(connection)
    last_id = 0
    total = 0
    while True:
        with database.writer() as connection:
            rows = connection.execute(
                sa.select(_NOTIFICATIONS).where(
                    _NOTIFICATIONS.c.id > last_id)
                .order_by(_NOTIFICATIONS.c.id).limit(chunk_size)).all()
            if not rows:
                break
            last_id = rows[-1].id
            runner.run_handlers(connection, handlers, list(_records(rows)))
        total += len(rows)
        if progress is not None:
            progress(total)
    for handler in handlers:
        handler.catch_up(database)
    return total
