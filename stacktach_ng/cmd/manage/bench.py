"""``stacktach-ng-manage bench ingest|import|queries|api``.

Each benchmark prints a table and the SPEC quality bars it checks (PASS or
MISS), and writes every figure as JSON with ``--output``. See the
benchmarks page of the administrator guide for what each one measures.
"""

import argparse
import os
import sys

import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc
from oslo_messaging import opts as messaging_opts

from stacktach_ng.bench import databases

PROG = 'stacktach-ng-manage bench'

_FAILURES = (db_exc.DBError, sa_exc.SQLAlchemyError, OSError, ValueError,
             RuntimeError)


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('not a positive integer: %r' % text)
    return value


def _server_url(text):
    try:
        backend = databases.backend_of(text)
    except Exception as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if backend == 'sqlite':
        raise argparse.ArgumentTypeError(
            'a MySQL/MariaDB or PostgreSQL server URL is expected; for '
            'SQLite use --backend sqlite')
    return text


def _database_url(text):
    try:
        databases.backend_of(text)
    except Exception as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _options(args):
    """Resolve --backend and --database-url into backend + server URL."""
    if getattr(args, 'database_url', None):
        args.backend = databases.backend_of(args.database_url)
        args.server_url = args.database_url
    else:
        args.server_url = None
    return args


def _finish(results, args, text):
    print(text)
    if args.output:
        results.write_json(args.output)
        print('Figures written to %s' % args.output)
    return 0 if all(check['passed'] for check in results.checks) else 3


def _fail(command, error):
    text = str(error).strip().splitlines()
    sys.stderr.write('%s %s: %s\n' % (PROG, command,
                                      text[0] if text else repr(error)))
    return 1


def _configured_transport(conf):
    """The notification transport URL of the config files, if any
    (``[oslo_messaging_notifications]`` wins, as for the listener)."""
    for group, opts in messaging_opts.list_opts():
        if group in (None, 'DEFAULT', 'oslo_messaging_notifications'):
            conf.register_opts(opts, group=group)
    url = (conf.oslo_messaging_notifications.transport_url
           or conf.transport_url)
    # oslo.messaging's default, 'rabbit://', says nothing of credentials.
    return None if url == 'rabbit://' else url


def do_ingest(conf, args):
    from stacktach_ng.bench import ingest
    args = _options(args)
    args.transport_url = (args.transport_url or _configured_transport(conf)
                          or databases.DEFAULT_TRANSPORT_URL)
    if args.backend == 'sqlite' and args.workers > 1:
        # SQLite has one writer: several workers only requeue each other's
        # batches ("database is locked"); that measures nothing useful.
        args.workers = 1
    try:
        results = ingest.run(args)
    except _FAILURES as e:
        return _fail('ingest', e)
    return _finish(results, args, results.text(ingest.COLUMNS))


def do_import(conf, args):
    from stacktach_ng.bench import importing
    args = _options(args)
    if args.input and not os.path.isfile(args.input):
        return _fail('import', 'no such file: %s' % args.input)
    args.handler_sets = (['all', 'notifications'] if args.handlers == 'both'
                         else [args.handlers])
    try:
        results = importing.run(args)
    except _FAILURES as e:
        return _fail('import', e)
    return _finish(results, args, results.text(importing.COLUMNS)
                   + importing.profile_text(results))


def do_queries(conf, args):
    from stacktach_ng.bench import queries
    args = _options(args)
    if args.input and not os.path.isfile(args.input):
        return _fail('queries', 'no such file: %s' % args.input)
    try:
        results = queries.run(args)
    except _FAILURES as e:
        return _fail('queries', e)
    return _finish(results, args, results.text(queries.COLUMNS))


def do_api(conf, args):
    from stacktach_ng.bench import api
    args = _options(args)
    try:
        results = api.run(args)
    except _FAILURES as e:
        return _fail('api', e)
    return _finish(results, args, results.text(api.COLUMNS))


def do_verify(conf, args):
    from stacktach_ng.bench import verify
    args = _options(args)
    try:
        results = verify.run(args)
    except _FAILURES as e:
        return _fail('verify', e)
    return _finish(results, args, results.text(verify.COLUMNS))


def _common(parser, count=None):
    parser.add_argument(
        '--backend', choices=databases.BACKENDS, default='sqlite',
        help='Database of the scratch databases (default: sqlite, a file '
             'in a temporary directory).')
    parser.add_argument(
        '--database-url', type=_server_url, metavar='URL',
        help='MySQL/MariaDB or PostgreSQL server on which the scratch '
             'databases (stacktach_bench_<hex>) are created, e.g. '
             'postgresql+psycopg2://postgres@127.0.0.1:5432; sets the '
             'backend (default: the local server of --backend).')
    parser.add_argument(
        '--keep', action='store_true',
        help='Keep the scratch databases (their URLs are printed).')
    parser.add_argument(
        '--output', metavar='FILE',
        help='Write every figure, with the command and the machine load, '
             'as JSON to FILE.')
    if count is not None:
        parser.add_argument(
            '--count', type=_positive, default=count,
            help='Number of simulated notifications (default: '
                 '%(default)s).')
    parser.add_argument(
        '--seed', type=int, default=42,
        help='Simulator seed (default: %(default)s).')
    parser.add_argument(
        '--format', default='mixed',
        choices=('legacy', 'versioned', 'both', 'mixed'),
        help="Nova's notification format in the simulated traffic "
             '(default: %(default)s, a format per host).')


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'bench', help='Benchmarks of the SPEC quality bars (ingest rate, '
                      'import rate, query latency, verifier, API).')
    commands = parser.add_subparsers(dest='bench_command',
                                     metavar='BENCHMARK')
    commands.required = True

    ingest = commands.add_parser(
        'ingest',
        help='Drain pre-filled RabbitMQ queues with the listener, a '
             'do-nothing batch listener and a one-message-per-transaction '
             'consumer; compare their rates.')
    _common(ingest, count=100000)
    ingest.add_argument(
        '--transport-url', metavar='URL',
        help='RabbitMQ transport URL (default: [DEFAULT] transport_url, '
             'else the local RabbitMQ as guest).')
    ingest.add_argument(
        '--workers', type=_positive, default=2,
        help='Also measure the listener daemon with this many workers '
             '(1 to skip; MySQL/PostgreSQL only; default: %(default)s).')
    ingest.add_argument(
        '--single-count', type=_positive, default=10000,
        help='Messages drained by the one-message-per-transaction '
             'consumer: the first ones of the same list (default: '
             '%(default)s; it runs at a few hundred a second at best).')
    ingest.add_argument(
        '--skip-single', action='store_true',
        help='Do not measure the one-message-per-transaction consumer.')
    ingest.add_argument(
        '--batch-size', type=_positive,
        help='[listener] batch_size of the listener and the do-nothing '
             'listener (default: the option default).')
    ingest.add_argument(
        '--concurrent-batches', type=_positive, metavar='N',
        help='[listener] concurrent_batches of the listener and the '
             'do-nothing listener (default: the option default).')
    ingest.add_argument(
        '--store-processes', type=int, metavar='N',
        help='[listener] store_processes of the listener (default: the '
             'option default).')
    ingest.add_argument(
        '--repeat', type=_positive, default=1,
        help='Rounds of measurements; the ratios use the best round of '
             'each consumer (default: %(default)s).')
    ingest.set_defaults(func=do_ingest)

    importing = commands.add_parser(
        'import',
        help='Time "stacktach-ng-manage import" of one file into a fresh '
             'database, with every default handler and with the '
             'notifications handler alone.')
    _common(importing, count=100000)
    importing.add_argument(
        '--input', metavar='FILE',
        help='Notifications file to import (any form "import" reads; '
             '--count limits it to its first lines); default: simulated '
             'traffic.')
    importing.add_argument(
        '--handlers', choices=('both', 'all', 'notifications'),
        default='both',
        help='Handler sets to measure (default: %(default)s).')
    importing.add_argument(
        '--repeat', type=_positive, default=1,
        help='Rounds of measurements (default: %(default)s).')
    importing.add_argument(
        '--profile', action='store_true',
        help='Also profile the pipeline in this process: time per stage '
             'and handler, and the functions with the most own time.')
    importing.add_argument(
        '--profile-count', type=_positive, default=20000,
        help='Notifications of the profiled run (default: %(default)s).')
    importing.set_defaults(func=do_import)

    queries = commands.add_parser(
        'queries',
        help='Latency of the trace, lifecycle, notification page and '
             'timing summary queries on a big database.')
    _common(queries)
    queries.add_argument(
        '--input', metavar='FILE',
        help='Notifications file to load into a scratch database first '
             '(e.g. 1,000,000 simulated ones, gzipped).')
    queries.add_argument(
        '--use-database', type=_database_url, metavar='URL',
        help='Query this already loaded database instead (it is never '
             'dropped).')
    queries.add_argument(
        '--samples', type=_positive, default=200,
        help='Timed calls per query (default: %(default)s).')
    queries.set_defaults(func=do_queries)

    verifying = commands.add_parser(
        'verify',
        help='Time one verifier pass over COUNT exists records (with '
             'their launches; one in a hundred with a flavor mismatch) and '
             'check each was decided exactly once.')
    _common(verifying)
    verifying.add_argument(
        '--count', type=_positive, default=100000,
        help='Exists records to verify (default: %(default)s).')
    verifying.add_argument(
        '--verifiers', type=_positive, default=1,
        help='Verifiers running the pass at once, sharing the records by '
             'row claims (default: %(default)s; more than one needs MySQL '
             'or PostgreSQL to be meaningful).')
    verifying.set_defaults(func=do_verify)

    api = commands.add_parser(
        'api',
        help='The API under gunicorn: server-side latency of the main '
             'read paths and requests per second of mixed reads.')
    _common(api)
    api.add_argument(
        '--use-database', type=_database_url, metavar='URL', required=True,
        help='A loaded database to serve (see "bench queries --keep").')
    api.add_argument(
        '--samples', type=_positive, default=200,
        help='Timed requests per path (default: %(default)s).')
    api.add_argument(
        '--duration', type=_positive, default=20,
        help='Seconds of the mixed-read throughput run (default: '
             '%(default)s).')
    api.add_argument(
        '--concurrency', type=_positive, default=8,
        help='Client threads of the throughput run (default: '
             '%(default)s).')
    api.add_argument(
        '--workers', type=_positive, default=2,
        help='gunicorn worker processes, 4 threads each (default: '
             '%(default)s).')
    api.add_argument(
        '--auth', choices=('keystone', 'noauth'), default='keystone',
        help='API auth strategy (default: %(default)s). With keystone the '
             'API validates tokens with keystonemiddleware, as the '
             'user below, and the benchmark sends a token of that user; '
             'without --auth-url the benchmark starts a Keystone of its '
             'own on a loopback port and uses its admin.')
    api.add_argument(
        '--auth-url', default=os.environ.get('OS_AUTH_URL'),
        help='Keystone v3 URL (default: $OS_AUTH_URL; neither: start a '
             'Keystone).')
    api.add_argument(
        '--username', default=os.environ.get('OS_USERNAME'),
        help='Keystone user with the admin role (default: $OS_USERNAME).')
    api.add_argument(
        '--password', default=os.environ.get('OS_PASSWORD'),
        help='Its password (default: $OS_PASSWORD).')
    api.add_argument(
        '--project-name', default=os.environ.get('OS_PROJECT_NAME'),
        help='Its project (default: $OS_PROJECT_NAME).')
    api.add_argument(
        '--keystone-venv', metavar='DIR',
        help='Virtualenv of the Keystone the benchmark starts, built there '
             'when missing (default: $STACKTACH_KEYSTONE_VENV, else '
             '~/.cache/stacktach-ng/keystone-venv).')
    api.set_defaults(func=do_api)
