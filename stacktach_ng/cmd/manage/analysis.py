"""``stacktach-ng-manage rebuild``: recompute derived data;
``stacktach-ng-manage rollup``: roll up the marked hours now.

The commands' arguments; the replay itself is ``replay.rebuild``, the
roll-up ``analyses.rollups``.
"""

import sys

from stacktach_ng.analyses import rollups
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
    parser = subparsers.add_parser(
        'rollup',
        help='Recompute the roll-up cells of the hours whose operations '
             'changed, as the listener does every [analysis] '
             'rollup_interval.')
    parser.add_argument(
        '--settle', type=int, default=None, metavar='SECONDS',
        help='Roll up only the hours unchanged for this long (default: '
             '[analysis] rollup_settle; 0 when nothing else writes).')
    parser.set_defaults(func=rollup)


def rollup(conf, args):
    settle = conf.analysis.rollup_settle if args.settle is None \
        else args.settle
    if settle < 0:
        sys.stderr.write('rollup: --settle must not be negative\n')
        return 2
    database = db_api.Database(conf)
    try:
        rolled = rollups.roll(database, settle=settle)
    finally:
        database.dispose()
    print('Rolled up %d hour(s).' % rolled)
    return 0


def rebuild(conf, args):
    if args.chunk_size < 1:
        sys.stderr.write('rebuild: --chunk-size must be at least 1\n')
        return 2
    names = args.handlers or list(conf.listener.handlers)
    if ('timings' in names and 'rollups' not in names
            and 'rollups' in conf.listener.handlers):
        # The roll-ups are a function of the operations: rebuilt with them.
        names.append('rollups')
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
