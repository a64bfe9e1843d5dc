"""The command line of the benchmarks: ``tox -e bench -- BENCHMARK ...``.

``ingest``, ``import``, ``queries``, ``verify`` and ``api`` each print a
table and the SPEC quality bars they check (PASS or MISS), and write every
figure as JSON with ``--output``. See the benchmarks page of the
administrator guide for what each one measures. ``handlers`` and
``analysis-queries`` are finer measurements for developers (see their
modules).

As with ``stacktach-ng-manage``, the configuration files
(``--config-file``; by default ``/etc/stacktach-ng/stacktach-ng.conf`` when
it exists) come before the benchmark's name; ``ingest`` reads the
notification transport URL there, ``analysis-queries`` the database.
"""

import argparse
import os
import sys

import sqlalchemy.exc as sa_exc
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_messaging import opts as messaging_opts

from stacktach_ng import service
from stacktach_ng.db import api as db_api
from tests.perf import analysis_queries
from tests.perf import api
from tests.perf import broker
from tests.perf import databases
from tests.perf import handlers
from tests.perf import importing
from tests.perf import ingest
from tests.perf import migration
from tests.perf import purge
from tests.perf import queries
from tests.perf import store_cpu
from tests.perf import stuck
from tests.perf import verify

PROG = 'tox -e bench --'

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
    args = _options(args)
    if args.input and not os.path.isfile(args.input):
        return _fail('queries', 'no such file: %s' % args.input)
    if args.replicate_days and (args.simulate_days != 1
                                or args.use_database):
        return _fail('queries', '--replicate-days copies one simulated '
                     'day: give it with --simulate-days 1 (and no '
                     '--use-database)')
    try:
        results = queries.run(args)
    except _FAILURES as e:
        return _fail('queries', e)
    return _finish(results, args, results.text(queries.COLUMNS))


def do_api(conf, args):
    args = _options(args)
    try:
        results = api.run(args)
    except _FAILURES as e:
        return _fail('api', e)
    return _finish(results, args, results.text(api.COLUMNS))


def do_verify(conf, args):
    args = _options(args)
    try:
        results = verify.run(args)
    except _FAILURES as e:
        return _fail('verify', e)
    return _finish(results, args, results.text(verify.COLUMNS))


def do_purge(conf, args):
    args = _options(args)
    try:
        results = purge.run(args)
    except _FAILURES as e:
        return _fail('purge', e)
    return _finish(results, args, results.text(purge.COLUMNS))


def do_stuck(conf, args):
    args = _options(args)
    try:
        results = stuck.run(args)
    except _FAILURES as e:
        return _fail('stuck', e)
    return _finish(results, args, results.text(stuck.COLUMNS))


def do_migration(conf, args):
    args = _options(args)
    try:
        results = migration.run(args)
    except _FAILURES as e:
        return _fail('migration', e)
    return _finish(results, args, results.text(migration.COLUMNS))


def do_handlers(conf, args):
    if not os.path.isfile(args.file):
        return _fail('handlers', 'no such file: %s' % args.file)
    handlers.measure(args.file, args.count, args.batch_size, args.rounds,
                     names=(args.handler_list.split(',')
                            if args.handler_list else None))
    return 0


def do_store_cpu(conf, args):
    args = _options(args)
    if not os.path.isfile(args.file):
        return _fail('store-cpu', 'no such file: %s' % args.file)
    try:
        store_cpu.measure(args)
    except _FAILURES as e:
        return _fail('store-cpu', e)
    return 0


def do_analysis_queries(conf, args):
    database = db_api.Database(conf)
    try:
        analysis_queries.measure(database, args.samples, args.repeat,
                                 project_id=args.project_id)
    except _FAILURES as e:
        return _fail('analysis-queries', e)
    finally:
        database.dispose()
    return 0


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


def add_parsers(commands):
    """Add a sub-parser per benchmark to ``commands``."""
    ingest_parser = commands.add_parser(
        'ingest',
        help='Drain RabbitMQ queues pre-filled by oslo.messaging '
             'Notifiers with the listener, a do-nothing batch listener and '
             'a one-message-per-transaction consumer; compare their rates '
             '(or --soak: memory over a long run).')
    _common(ingest_parser, count=100000)
    ingest_parser.add_argument(
        '--transport-url', metavar='URL',
        help='RabbitMQ transport URL (default: [DEFAULT] transport_url, '
             'else the local RabbitMQ as guest).')
    ingest_parser.add_argument(
        '--workers', type=_positive, default=2,
        help='Also measure the listener daemon with this many workers '
             '(1 to skip; MySQL/PostgreSQL only; default: %(default)s).')
    ingest_parser.add_argument(
        '--single-count', type=_positive, default=10000,
        help='Messages drained by the one-message-per-transaction '
             'consumer: the first ones of the same list (default: '
             '%(default)s; it runs at a few hundred a second at best).')
    ingest_parser.add_argument(
        '--skip-single', action='store_true',
        help='Do not measure the one-message-per-transaction consumer.')
    ingest_parser.add_argument(
        '--batch-size', type=_positive,
        help='[listener] batch_size of the listener and the do-nothing '
             'listener (default: the option default).')
    ingest_parser.add_argument(
        '--concurrent-batches', type=_positive, metavar='N',
        help='[listener] concurrent_batches of the listener and the '
             'do-nothing listener (default: the option default).')
    ingest_parser.add_argument(
        '--store-processes', type=int, metavar='N',
        help='[listener] store_processes of the listener (default: the '
             'option default).')
    ingest_parser.add_argument(
        '--repeat', type=_positive, default=1,
        help='Rounds of measurements; the ratios use the best round of '
             'each consumer (default: %(default)s).')
    ingest_parser.add_argument(
        '--queues', choices=broker.TYPES, default=broker.DEFAULT,
        help='RabbitMQ queue type of every consumer and of the Notifier '
             'that fills the queues: durable classic queues, quorum queues '
             '(the two the scaling guide recommends) or transient ones '
             '(oslo.messaging\'s default); messages are persistent '
             '(default: %(default)s).')
    ingest_parser.add_argument(
        '--publishers', type=_positive, default=2,
        help='Notifier processes filling the queues in parallel before '
             'each measurement (default: %(default)s).')
    ingest_parser.add_argument(
        '--peer', choices=ingest.PEERS,
        help='Also measure this other consumer of the same traffic in '
             'each round: "ceilometer", its notification agent with the '
             'events pipeline and a file publisher, from the virtualenv '
             'of --ceilometer-venv.')
    ingest_parser.add_argument(
        '--ceilometer-venv', metavar='DIR',
        help='Virtualenv with Ceilometer installed (default: '
             '$STACKTACH_CEILOMETER_VENV, else '
             '~/.cache/stacktach-ng/ceilometer-venv; it is built there '
             'with "pip install ceilometer" when missing).')
    ingest_parser.add_argument(
        '--soak', action='store_true',
        help='Soak instead of rounds: the listener alone drains --count '
             'notifications published while it runs, and the RSS of each '
             'of its processes and their PSS are sampled every '
             '--sample-every seconds; memory must stay flat (within 10%% '
             'after the first 10%% of the messages) and under 200 MB.')
    ingest_parser.add_argument(
        '--soak-depth', type=_positive, default=20000,
        help='Soak: the publisher pauses while the queues hold more ready '
             'messages than this (default: %(default)s).')
    ingest_parser.add_argument(
        '--sample-every', type=float, default=5.0, metavar='SECONDS',
        help='Soak: seconds between two memory samples (default: '
             '%(default)s).')
    ingest_parser.add_argument(
        '--trace', metavar='FILE',
        help='Soak: write the memory samples to FILE as they are taken '
             '(JSON lines; python -m tests.perf.soak_plot FILE PNG draws '
             'them).')
    ingest_parser.add_argument(
        '--plot', metavar='PNG',
        help='Soak: draw the memory curve to this PNG file (needs '
             'matplotlib, in the bench environment).')
    ingest_parser.set_defaults(func=do_ingest)

    import_parser = commands.add_parser(
        'import',
        help='Time "stacktach-ng-manage import" of one file into a fresh '
             'database, with every default handler and with the '
             'notifications handler alone.')
    _common(import_parser, count=100000)
    import_parser.add_argument(
        '--input', metavar='FILE',
        help='Notifications file to import (any form "import" reads; '
             '--count limits it to its first lines); default: simulated '
             'traffic.')
    import_parser.add_argument(
        '--handlers', choices=('both', 'all', 'notifications'),
        default='both',
        help='Handler sets to measure (default: %(default)s).')
    import_parser.add_argument(
        '--repeat', type=_positive, default=1,
        help='Rounds of measurements (default: %(default)s).')
    import_parser.add_argument(
        '--jobs', type=_positive, default=1, metavar='N',
        help='Also measure "import --jobs N", in each round beside one '
             'job (in turns: one job first, then the N jobs first), and '
             'report the ratio of their rates; with the time the jobs '
             'waited for a part to be read and for the SQLite write lock '
             '(default: %(default)s, one job only).')
    import_parser.add_argument(
        '--profile', action='store_true',
        help='Also profile the pipeline in this process: time per stage '
             'and handler, and the functions with the most own time.')
    import_parser.add_argument(
        '--profile-count', type=_positive, default=20000,
        help='Notifications of the profiled run (default: %(default)s).')
    import_parser.set_defaults(func=do_import)

    queries_parser = commands.add_parser(
        'queries',
        help='Latency of the trace, lifecycle, notification page and '
             'timing summary queries on a big database.')
    _common(queries_parser)
    queries_parser.add_argument(
        '--input', metavar='FILE',
        help='Notifications file to load into a scratch database first '
             '(e.g. 1,000,000 simulated ones, gzipped).')
    queries_parser.add_argument(
        '--use-database', type=_database_url, metavar='URL',
        help='Query this already loaded database instead (it is never '
             'dropped).')
    queries_parser.add_argument(
        '--samples', type=_positive, default=200,
        help='Timed calls per query (default: %(default)s).')
    queries_parser.add_argument(
        '--simulate-days', type=_positive, metavar='DAYS',
        help='Generate DAYS of simulated traffic and load it instead of '
             '--input (a month of about 3,000 instances, about '
             '10,000,000 notifications: 30 days, --hosts 150 --projects '
             '600 --ops-per-hour 485; see --replicate-days).')
    queries_parser.add_argument(
        '--hosts', type=_positive, default=150,
        help='Compute hosts of the simulated cloud (default: %(default)s).')
    queries_parser.add_argument(
        '--projects', type=_positive, default=600,
        help='Projects of the simulated cloud, 5 instances each '
             '(default: %(default)s).')
    queries_parser.add_argument(
        '--ops-per-hour', type=_positive, default=700,
        help='Operations started per simulated hour (default: '
             '%(default)s).')
    queries_parser.add_argument(
        '--replicate-days', type=_positive, metavar='DAYS',
        help='With --simulate-days 1: import the simulated day, then make '
             'DAYS days of it by copying its rows inside the database, '
             'each copy shifted by whole days and with ids of its own '
             '(a month of about 10,000,000 notifications: 30, with '
             '--hosts 150 --projects 600 --ops-per-hour 485).')
    queries_parser.set_defaults(func=do_queries)

    verify_parser = commands.add_parser(
        'verify',
        help='Time one verifier pass over COUNT exists records (with '
             'their launches; one in a hundred with a flavor mismatch) and '
             'check each was decided exactly once.')
    _common(verify_parser)
    verify_parser.add_argument(
        '--count', type=_positive, default=100000,
        help='Exists records to verify (default: %(default)s).')
    verify_parser.add_argument(
        '--verifiers', type=_positive, default=1,
        help='Verifiers running the pass at once, sharing the records by '
             'row claims (default: %(default)s; more than one needs MySQL '
             'or PostgreSQL to be meaningful).')
    verify_parser.set_defaults(func=do_verify)

    purge_parser = commands.add_parser(
        'purge',
        help='PostgreSQL: purge a day of COUNT notifications by dropping '
             'its partition, and the next day by batch deletes, in '
             'alternating rounds; time and table size before and after.')
    _common(purge_parser)
    purge_parser.add_argument(
        '--count', type=_positive, default=5000000,
        help='Notifications loaded (default: %(default)s).')
    purge_parser.add_argument(
        '--days', type=_positive, default=30,
        help='Days they are spread over, a partition each (default: '
             '%(default)s).')
    purge_parser.add_argument(
        '--rounds', type=_positive, default=2,
        help='Rounds of one drop and one batch delete (default: '
             '%(default)s).')
    purge_parser.add_argument(
        '--batch-size', type=_positive, default=5000,
        help='Rows per transaction of the batch deletes, as [retention] '
             'purge_batch_size (default: %(default)s).')
    purge_parser.add_argument(
        '--payload-bytes', type=_positive, default=512,
        help='Approximate size of each payload (default: %(default)s).')
    purge_parser.set_defaults(func=do_purge)

    stuck_parser = commands.add_parser(
        'stuck',
        help='The stuck list read from open_work against the one read from '
             'every candidate, with OPEN open operations, in alternating '
             'rounds (meaningful on PostgreSQL).')
    _common(stuck_parser)
    stuck_parser.add_argument(
        '--open', type=_positive, default=10000,
        help='Open operations loaded (default: %(default)s).')
    stuck_parser.add_argument(
        '--ended', type=_positive, default=200000,
        help='Ended operations loaded (default: %(default)s).')
    stuck_parser.add_argument(
        '--days', type=_positive, default=30,
        help='Days they are spread over (default: %(default)s).')
    stuck_parser.add_argument(
        '--rounds', type=_positive, default=40,
        help='Rounds of each list with each read (default: %(default)s).')
    stuck_parser.set_defaults(func=do_stuck)

    migration_parser = commands.add_parser(
        'migration',
        help='PostgreSQL or MySQL: the time each schema upgrade from 0006 '
             'stops the services for, on a table of COUNT notifications.')
    _common(migration_parser)
    migration_parser.add_argument(
        '--count', type=_positive, default=2000000,
        help='Notifications loaded at revision 0006 (default: '
             '%(default)s).')
    migration_parser.add_argument(
        '--days', type=_positive, default=30,
        help='Days they are spread over, ending yesterday (default: '
             '%(default)s).')
    migration_parser.add_argument(
        '--payload-bytes', type=_positive, default=512,
        help='Approximate size of each payload (default: %(default)s).')
    migration_parser.add_argument(
        '--prebuild', action='store_true',
        help='PostgreSQL: build the indexes the upgrade guide lets an '
             'operator build beforehand, concurrently, before the upgrade '
             '(timed apart).')
    migration_parser.set_defaults(func=do_migration)

    api_parser = commands.add_parser(
        'api',
        help='The API under gunicorn: server-side latency of the main '
             'read paths and requests per second of mixed reads.')
    _common(api_parser)
    api_parser.add_argument(
        '--use-database', type=_database_url, metavar='URL', required=True,
        help='A loaded database to serve (see "queries --keep").')
    api_parser.add_argument(
        '--samples', type=_positive, default=200,
        help='Timed requests per path (default: %(default)s).')
    api_parser.add_argument(
        '--duration', type=_positive, default=20,
        help='Seconds of the mixed-read throughput run (default: '
             '%(default)s).')
    api_parser.add_argument(
        '--concurrency', type=_positive, default=8,
        help='Client threads of the throughput run (default: '
             '%(default)s).')
    api_parser.add_argument(
        '--workers', type=_positive, default=2,
        help='gunicorn worker processes, 4 threads each (default: '
             '%(default)s).')
    api_parser.add_argument(
        '--auth', choices=('keystone', 'noauth'), default='keystone',
        help='API auth strategy (default: %(default)s). With keystone the '
             'API validates tokens with keystonemiddleware, as the '
             'user below, and the benchmark sends a token of that user; '
             'without --auth-url the benchmark starts a Keystone of its '
             'own on a loopback port and uses its admin.')
    api_parser.add_argument(
        '--auth-url', default=os.environ.get('OS_AUTH_URL'),
        help='Keystone v3 URL (default: $OS_AUTH_URL; neither: start a '
             'Keystone).')
    api_parser.add_argument(
        '--username', default=os.environ.get('OS_USERNAME'),
        help='Keystone user with the admin role (default: $OS_USERNAME).')
    api_parser.add_argument(
        '--password', default=os.environ.get('OS_PASSWORD'),
        help='Its password (default: $OS_PASSWORD).')
    api_parser.add_argument(
        '--project-name', default=os.environ.get('OS_PROJECT_NAME'),
        help='Its project (default: $OS_PROJECT_NAME).')
    api_parser.add_argument(
        '--keystone-venv', metavar='DIR',
        help='Virtualenv of the Keystone the benchmark starts, built there '
             'when missing (default: $STACKTACH_KEYSTONE_VENV, else '
             '~/.cache/stacktach-ng/keystone-venv).')
    api_parser.set_defaults(func=do_api)

    handlers_parser = commands.add_parser(
        'handlers',
        help='Microseconds per notification of each ingestion handler, '
             'storing a notifications file in a new SQLite database.')
    handlers_parser.add_argument(
        'file', help='Notifications, one JSON body a line (e.g. written by '
                     '"stacktach-ng-manage simulate --output").')
    handlers_parser.add_argument(
        '--count', type=_positive, default=60000,
        help='Notifications of the file to store (default: %(default)s).')
    handlers_parser.add_argument(
        '--batch-size', type=_positive, default=2000,
        help='Notifications per transaction (default: %(default)s).')
    handlers_parser.add_argument(
        '--rounds', type=_positive, default=2,
        help='Rounds; each handler keeps its best (default: %(default)s).')
    handlers_parser.add_argument(
        '--handler-list', default=None,
        help='Comma-separated handlers, in order (default: the default '
             '[listener] handlers), e.g. to time an optional one.')
    handlers_parser.set_defaults(func=do_handlers)

    store_parser = commands.add_parser(
        'store-cpu',
        help='CPU microseconds per notification of the store process, by '
             'stage (decode, normalize, each handler, commit), storing a '
             'notifications file in a new database.')
    store_parser.add_argument(
        'file', help='Notifications, one JSON body a line (e.g. written by '
                     '"stacktach-ng-manage simulate --output").')
    store_parser.add_argument(
        '--backend', choices=databases.BACKENDS, default='sqlite',
        help='Database of the scratch database (default: sqlite, a file '
             'in a temporary directory).')
    store_parser.add_argument(
        '--database-url', type=_server_url, metavar='URL',
        help='MySQL/MariaDB or PostgreSQL server on which the scratch '
             'database is created; sets the backend (default: the local '
             'server of --backend).')
    store_parser.add_argument(
        '--count', type=_positive, default=20000,
        help='Notifications of the file to store (default: %(default)s).')
    store_parser.add_argument(
        '--batch-size', type=_positive, default=200,
        help='Notifications per batch and transaction (default: '
             '%(default)s, about what the listener stores per batch when '
             'it drains a full queue).')
    store_parser.add_argument(
        '--rounds', type=_positive, default=3,
        help='Rounds, each on a new database; the one with the least CPU '
             'is shown (default: %(default)s).')
    store_parser.add_argument(
        '--stage', choices=store_cpu.STAGES, default='all',
        help='Stop after this stage (none: set up only), to count a '
             "stage's instructions by difference (default: %(default)s).")
    store_parser.set_defaults(func=do_store_cpu)

    analyses_parser = commands.add_parser(
        'analysis-queries',
        help='Latency of the analysis queries (trace, lifecycle, timing '
             'summaries, /v1/summary, stuck list) on the loaded database '
             'of the configuration files.')
    analyses_parser.add_argument(
        '--samples', type=_positive, default=200,
        help='Requests and resources looked up (default: %(default)s).')
    analyses_parser.add_argument(
        '--repeat', type=_positive, default=20,
        help='Timed calls of each one-day query (default: %(default)s).')
    analyses_parser.add_argument(
        '--project-id',
        help='Scope every query to this project (default: all).')
    analyses_parser.set_defaults(func=do_analysis_queries)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    command_opt = cfg.SubCommandOpt(
        'command', title='Benchmarks', help='Available benchmarks',
        handler=add_parsers)
    conf = service.build_conf()
    conf.register_cli_opt(command_opt)
    try:
        conf = service.prepare_service(argv, conf=conf, register_gmr=False)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    args = conf.command
    try:
        return args.func(conf, args) or 0
    except KeyboardInterrupt:
        sys.stderr.write('Interrupted.\n')
        return 130
