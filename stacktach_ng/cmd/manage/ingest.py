"""``stacktach-ng-manage import|export|purge``."""

import argparse
import os
import sys
import time

import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc
from oslo_log import log as logging

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.replay import exporter
from stacktach_ng.replay import importer
from stacktach_ng.replay import parallel
from stacktach_ng.retention import purge

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-manage'
_DB_ERRORS = (db_exc.DBError, sa_exc.SQLAlchemyError)


def _fail(command, message):
    sys.stderr.write('%s %s: %s\n' % (PROG, command, message))
    return 1


def _ready_database(conf):
    """The database, or an error message when it cannot be used."""
    database = db_api.Database(conf)
    try:
        if not migration.is_at_head(database):
            database.dispose()
            return None, ('the database schema is not at the latest '
                          'revision: run "%s db upgrade"' % PROG)
    except _DB_ERRORS as e:
        database.dispose()
        return None, 'cannot use the database: %s' % _first_line(e)
    return database, None


def _first_line(error):
    text = str(getattr(error, 'orig', None) or error)
    return text.strip().split('\n')[0][:300]


# -- import ------------------------------------------------------------

class _Progress:
    """A one-line counter on stderr, redrawn after each batch (only when
    stderr is a terminal, so logs and pipes stay clean)."""

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, result):
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.stream.write(
            '\rread %d, stored %d, duplicates %d, rejected %d (%d/s)  '
            % (result.received, result.stored, result.duplicates,
               result.rejected, result.received / elapsed))
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.stream.write('\n')
            self.stream.flush()


def do_import(conf, args):
    for path in args.files:
        if path == '-':
            continue
        if not os.path.exists(path):
            return _fail('import', 'no such file: %s' % path)
        if os.path.isdir(path) or not os.access(path, os.R_OK):
            return _fail('import', 'cannot read %s' % path)
    database, error = _ready_database(conf)
    if error:
        return _fail('import', error)
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    started = time.monotonic()
    if args.jobs > 1:
        return _import_in_jobs(conf, args, database, progress, started)
    try:
        job = importer.Importer(conf, database, batch_size=args.batch_size,
                                progress=progress)
        with importer.bulk_gc():
            for path in args.files:
                job.import_path(path)
        job.finish()
    except importer.SourceError as e:
        return _fail('import', str(e))
    except _DB_ERRORS as e:
        return _fail('import', 'database error (the batches before it are '
                     'stored): %s' % _first_line(e))
    finally:
        if progress is not None:
            progress.close()
        database.dispose()
    elapsed = time.monotonic() - started
    print('Imported %d file(s) in %.1f s: %s'
          % (len(args.files), elapsed, importer.summary(job.result)))
    return 0


def _import_in_jobs(conf, args, database, progress, started):
    job = parallel.ParallelImport(conf, database, args.jobs,
                                  batch_size=args.batch_size,
                                  progress=progress)
    try:
        job.start()
        job.import_paths(args.files)
        # Every job has stored its last batch: the catching up and the
        # statistics see it all.
        job.finish()
    except importer.SourceError as e:
        return _fail('import', str(e))
    except parallel.JobError as e:
        if e.database:
            return _fail('import', 'database error in %s (the batches '
                         'before it are stored)' % e)
        return _fail('import', 'failed in %s' % e)
    except _DB_ERRORS as e:
        return _fail('import', 'database error (the batches before it are '
                     'stored): %s' % _first_line(e))
    finally:
        # After an error the other jobs end their current batch first:
        # nothing is stored in part.
        job.stop()
        if progress is not None:
            progress.close()
        database.dispose()
    elapsed = time.monotonic() - started
    for stats in job.stats:
        LOG.info('Import %s', stats.text())
    # The same line as one job's: scripts read it.
    print('Imported %d file(s) in %.1f s: %s'
          % (len(args.files), elapsed, importer.summary(job.result)))
    return 0


# -- export ------------------------------------------------------------

def _moment(text):
    moment = timestamps.parse(text)
    if moment is None:
        raise argparse.ArgumentTypeError(
            'not an ISO 8601 time: %r (e.g. 2026-01-31T12:00:00Z)' % text)
    return moment


def do_export(conf, args):
    database, error = _ready_database(conf)
    if error:
        return _fail('export', error)
    conditions = exporter.filters(
        since=args.since, until=args.until, event_type=args.event_type,
        request_id=args.request_id, resource_id=args.resource_id,
        project_id=args.project_id)
    output = None
    try:
        if args.output and args.output != '-':
            try:
                output = open(args.output, 'w', encoding='utf-8')
            except OSError as e:
                return _fail('export', 'cannot write %s: %s'
                             % (args.output, e.strerror or e))
        count = exporter.export(database, output or sys.stdout, conditions)
    except _DB_ERRORS as e:
        return _fail('export', 'database error: %s' % _first_line(e))
    except BrokenPipeError:
        # The reader went away (| head): not an error of ours.
        sys.stderr.close()
        return 0
    finally:
        if output is not None:
            output.close()
        database.dispose()
    sys.stderr.write('Exported %d notification(s).\n' % count)
    return 0


# -- purge -------------------------------------------------------------

def _age(text):
    try:
        return purge.parse_age(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def do_purge(conf, args):
    kinds = purge.KINDS if args.kind == 'all' else (args.kind,)
    try:
        if args.older_than is None:
            purge.configured_ages(conf)
    except ValueError as e:
        return _fail('purge', str(e))
    database, error = _ready_database(conf)
    if error:
        return _fail('purge', error)
    try:
        results = purge.run(conf, database, kinds=kinds,
                            older_than=args.older_than,
                            batch_size=args.batch_size,
                            dry_run=args.dry_run)
    except ValueError as e:
        return _fail('purge', str(e))
    except _DB_ERRORS as e:
        return _fail('purge', 'database error (the batches before it are '
                     'deleted): %s' % _first_line(e))
    finally:
        database.dispose()
    if not results:
        print('Nothing to purge: no age given and [retention] max_age sets '
              'none for %s.' % ', '.join(kinds))
    for result in results.values():
        print('%s: %s %d row(s) older than %s%s'
              % (result.kind, 'would delete' if args.dry_run else 'deleted',
                 result.deleted, result.before.isoformat(' ', 'seconds'),
                 '' if args.dry_run else ' in %d batch(es)' % result.batches))
    return 0


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('not a positive integer: %r' % text)
    return value


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'import',
        help='Import notifications from files (JSON, JSON lines, gzip; '
             'every wire and listener form), through the same handlers as '
             'the listener.')
    parser.add_argument(
        'files', nargs='+', metavar='FILE',
        help='Files to read; "-" reads standard input.')
    parser.add_argument(
        '--batch-size', type=_positive, default=importer.DEFAULT_BATCH_SIZE,
        help='Notifications per transaction (default: %(default)s).')
    parser.add_argument(
        '--jobs', type=_positive, default=1, metavar='N',
        help='Processes that import at once (default: %(default)s). With '
             'N > 1 this process reads the files and hands out parts of '
             '--batch-size lines to N - 1 others, and stores parts too; '
             'each has its own database connection. The stored rows and '
             'the counts are those of one process. It pays for a large '
             'import (the other processes take a second or two to start) '
             'on a machine with N idle cores, most on PostgreSQL and '
             'MySQL, which store batches side by side; SQLite stores one '
             'batch at a time, so there only the reading and '
             'normalization run in parallel.')
    parser.set_defaults(func=do_import)

    parser = subparsers.add_parser(
        'export',
        help='Write stored notifications as JSON lines in the wire v2 '
             'form, which "import" reads back.')
    parser.add_argument('--since', type=_moment,
                        help='Generated at or after this ISO 8601 time '
                             '(UTC unless it has an offset).')
    parser.add_argument('--until', type=_moment,
                        help='Generated before this ISO 8601 time.')
    parser.add_argument('--event-type',
                        help='Event type, or a glob with * and ? '
                             '(e.g. "compute.instance.*").')
    parser.add_argument('--request-id',
                        help='Request id (also matches the global request '
                             'id of the other services\' notifications).')
    parser.add_argument('--resource-id', help='Resource id.')
    parser.add_argument('--project-id', help='Project id.')
    parser.add_argument('--output', metavar='FILE',
                        help='File to write (default: standard output).')
    parser.set_defaults(func=do_export)

    parser = subparsers.add_parser(
        'purge',
        help='Delete data older than an age, in bounded batches.')
    parser.add_argument(
        '--older-than', type=_age, metavar='AGE',
        help='Age such as 30d, 12h, 90m, 2w or 3600s (default: '
             '[retention] max_age of each kind).')
    parser.add_argument(
        '--kind', choices=purge.KINDS + ('all',), default='all',
        help='Data kind to purge (default: all).')
    parser.add_argument(
        '--batch-size', type=_positive,
        help='Rows per transaction (default: [retention] '
             'purge_batch_size).')
    parser.add_argument(
        '--dry-run', action='store_true',
        help='Count what would be deleted; delete nothing.')
    parser.set_defaults(func=do_purge)

