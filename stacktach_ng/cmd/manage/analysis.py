"""``stacktach-ng-manage rebuild``: recompute derived data.

After an upgrade that changes what an analysis handler derives, its tables
are emptied and refilled from the stored notifications, read in bounded
chunks by id, each chunk processed in its own transaction exactly as the
listener would. Stop the listeners first (or accept that notifications
stored during the rebuild may be counted in the chunk that reads them and
again by the listener's handler).
"""

import sys

import sqlalchemy as sa

from stacktach_ng.common import jsonutils
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.handlers import analysis
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import runner as pipeline

_NOTIFICATIONS = models.Notification.__table__
_COLUMNS = [column for column in _NOTIFICATIONS.c if column.name != 'id']

CHUNK = 2000


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'rebuild',
        help='Recompute the analyses (lifecycles, timings, traces, errors, '
             'summary) from the stored notifications.')
    parser.add_argument(
        '--handler', action='append', dest='handlers', metavar='NAME',
        help='Rebuild only this handler (repeatable); default: every '
             'enabled handler that derives rebuildable data.')
    parser.add_argument(
        '--chunk-size', type=int, default=CHUNK,
        help='Notifications per transaction (default %(default)s).')
    parser.set_defaults(func=rebuild)


def _records(rows):
    for row in rows:
        data = dict(row._mapping)
        data.pop('id', None)
        try:
            payload = jsonutils.loads(data['payload'])
            context = jsonutils.loads(data['context'])
        except ValueError:
            payload, context = {}, {}
        yield normalize.Record(data, payload if isinstance(payload, dict)
                               else {}, context if isinstance(context, dict)
                               else {})


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
                return total
            last_id = rows[-1].id
            records = list(_records(rows))
            for handler in handlers:
                out = handler.process(connection, records)
                if out is not None:
                    records = out
        total += len(rows)
        if progress is not None:
            progress(total)


def rebuild(conf, args):
    if args.chunk_size < 1:
        sys.stderr.write('rebuild: --chunk-size must be at least 1\n')
        return 2
    names = args.handlers or list(conf.listener.handlers)
    try:
        handlers = pipeline.load_handlers(conf, names)
    except ValueError as error:
        sys.stderr.write('rebuild: %s\n' % error)
        return 2
    rebuildable = [h for h in handlers
                   if isinstance(h, analysis.AnalysisHandler)]
    refused = [h.name for h in handlers if h not in rebuildable]
    if args.handlers and refused:
        sys.stderr.write('rebuild: cannot rebuild %s (not an analysis '
                         'handler)\n' % ', '.join(refused))
        return 2
    if not rebuildable:
        sys.stderr.write('rebuild: no analysis handler enabled\n')
        return 2
    database = db_api.Database(conf)
    try:
        total = rebuild_handlers(database, rebuildable, args.chunk_size)
    finally:
        database.dispose()
    print('Rebuilt %s from %d notifications.'
          % (', '.join(h.name for h in rebuildable), total))
    return 0
