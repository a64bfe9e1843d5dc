"""``stacktach-ng-manage rebuild``: recompute derived data.

The command's arguments; the replay itself is ``replay.rebuild``.
"""

import sys

from stacktach_ng.db import api as db_api
from stacktach_ng.pipeline import runner
from stacktach_ng.replay import rebuild as replay_rebuild


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
        '--chunk-size', type=int, default=replay_rebuild.CHUNK,
        help='Notifications per transaction (default %(default)s).')
    parser.set_defaults(func=rebuild)


def rebuild(conf, args):
    if args.chunk_size < 1:
        sys.stderr.write('rebuild: --chunk-size must be at least 1\n')
        return 2
    names = args.handlers or list(conf.listener.handlers)
    try:
        handlers = runner.load_handlers(conf, names)
    except ValueError as error:
        sys.stderr.write('rebuild: %s\n' % error)
        return 2
    rebuildable = replay_rebuild.rebuildable(handlers)
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
        total = replay_rebuild.rebuild_handlers(database, rebuildable,
                                                args.chunk_size)
    finally:
        database.dispose()
    print('Rebuilt %s from %d notifications.'
          % (', '.join(h.name for h in rebuildable), total))
    return 0
