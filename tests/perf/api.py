"""``tox -e bench -- api``: the API under a real WSGI server.

The API (``stacktach_ng.wsgi.api:application``) is served by gunicorn
(``--workers`` processes of 4 threads, gthread) on a free loopback port,
over an already loaded database (``--use-database``), with Keystone auth
(keystonemiddleware and its in-process token cache) or without.

1. **Latency**: ``--samples`` sequential requests on each read path, ids
   picked at random from the data as the queries benchmark does. The server
   time of each request is gunicorn's own (``%(D)s`` of its access log:
   from the request read to the response written, in the worker), so
   neither the client nor the loopback is counted; the client-side time
   is reported too. The lookups (a notification page, a trace, a
   lifecycle) and the views of a period (the timing summary,
   ``/v1/summary``, hosts, services) over random days of the data and
   over its whole span (30 days on a month), whose p95 over the whole
   span is checked against twice the one-day p95 as well.
2. **Throughput**: ``--concurrency`` client threads send mixed reads (the
   same paths in turn) for ``--duration`` seconds; requests per second
   and errors. The client runs on the same machine and takes its share
   of the CPUs.

With ``--auth keystone`` and no ``--auth-url``, a Keystone of the
benchmark's own is started first (``tests.fixtures.keystone``, on
another loopback port, from a virtualenv built on first use): its
bootstrap admin asks for the token, its service user validates it.
"""

import concurrent.futures
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

from stacktach_ng.db import api as db_api
from tests.fixtures import keystone
from tests.fixtures import processes
from tests.perf import databases
from tests.perf import queries
from tests.perf import report

LOOKUP_P95_MS = queries.LOOKUP_P95_MS
MIN_REQUESTS_PER_SECOND = 300

_ACCESS_FORMAT = '%(m)s %(U)s %(q)s %(s)s %(D)s'
_WARM_UP = 10


def keystone_token(options):
    """A project-scoped token of the Keystone user of the options."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=options.auth_url, username=options.username,
        password=options.password, project_name=options.project_name,
        user_domain_id='default', project_domain_id='default')
    return session.Session(auth=auth).get_token()


def authtoken_options(options):
    """``[keystone_authtoken]`` of the Keystone user of the options: the
    API validates tokens as that user."""
    return {
        'www_authenticate_uri': options.auth_url,
        'auth_url': options.auth_url, 'auth_type': 'password',
        'username': options.username, 'password': options.password,
        'project_name': options.project_name,
        'user_domain_id': 'default', 'project_domain_id': 'default',
    }


def write_config(path, options, database_url, port, authtoken=None):
    """The API's configuration file; ``authtoken`` is its
    ``[keystone_authtoken]`` with ``--auth keystone``."""
    sections = {
        'DEFAULT': {'log_file': os.path.join(os.path.dirname(path),
                                             'api.log')},
        'api': {'auth_strategy': options.auth, 'host': '127.0.0.1',
                'port': port},
        'database': {'connection': database_url},
    }
    if options.auth == 'keystone':
        sections['keystone_authtoken'] = authtoken
    return databases.write_config(path, sections)


class Server:
    """gunicorn serving the API, with an access log of server times."""

    def __init__(self, config, work_dir, workers):
        self.port = int(_option(config, 'port'))
        self.url = 'http://127.0.0.1:%d' % self.port
        self.access_log = os.path.join(work_dir, 'access.log')
        self.log = os.path.join(work_dir, 'gunicorn.log')
        self.config = config
        self.workers = workers
        self.process = None

    def start(self, timeout=120):
        gunicorn = shutil.which('gunicorn',
                                path=os.path.dirname(sys.executable))
        if gunicorn is None:
            raise RuntimeError('gunicorn is not installed (pip install '
                               'gunicorn)')
        with open(self.log, 'wb') as log:
            self.process = subprocess.Popen(
                [gunicorn, '--bind', '127.0.0.1:%d' % self.port,
                 '--workers', str(self.workers), '--threads', '4',
                 '--worker-class', 'gthread', '--no-control-socket',
                 '--access-logfile', self.access_log,
                 '--access-logformat', _ACCESS_FORMAT,
                 'stacktach_ng.wsgi.api:application'],
                env=dict(os.environ, STACKTACH_NG_CONFIG_FILES=self.config),
                stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited (%s); see %s'
                                   % (self.process.returncode, self.log))
            try:
                requests.get(self.url + '/healthcheck', timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError('the API did not answer in %d s' % timeout)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def access_lines(self):
        """Parsed access log: (method, path, query, status, seconds)."""
        entries = []
        with open(self.access_log, errors='replace') as log:
            for line in log:
                parts = line.split()
                if len(parts) == 4:
                    parts.insert(2, '')
                if len(parts) != 5:
                    continue
                method, path, query, status, micros = parts
                entries.append((method, path, query, int(status),
                                int(micros) / 1e6))
        return entries


def _option(path, name):
    with open(path) as config:
        for line in config:
            key, _, value = line.partition('=')
            if key.strip() == name:
                return value.strip()
    raise KeyError(name)


def paths(sample):
    """(name, [request paths]) of the timed lookups, which the mixed-read
    throughput run sends too."""
    quote = urllib.parse.quote
    return [
        # all_projects: the sample spans every project, and an admin's
        # token is scoped to one (noauth is unscoped and ignores it).
        ('notification page', ['/v1/notifications?limit=100'
                               '&all_projects=true&marker=%s'
                               % quote(marker, safe='')
                               for marker in sample.markers[:sample.count]]),
        ('request trace', ['/v1/requests/%s' % quote(request_id, safe='')
                           for request_id in sample.requests]),
        ('resource lifecycle', ['/v1/resources/%s' % quote(resource_id,
                                                           safe='')
                                for resource_id in sample.resources]),
    ]


#: The views of a period, by the path that answers them.
PERIOD_VIEWS = (('timing summary', '/v1/timings/summary'),
                ('/v1/summary', '/v1/summary'),
                ('hosts', '/v1/hosts'),
                ('services', '/v1/services'))


def _period_paths(path, windows):
    return ['%s?all_projects=true&since=%s&until=%s'
            % (path, since.strftime('%Y-%m-%dT%H:%M:%SZ'),
               until.strftime('%Y-%m-%dT%H:%M:%SZ'))
            for since, until in windows]


def period_paths(sample):
    """(name, [request paths]) of the views of a period, each over the
    sample's random days (``(1 day)``) and over its whole span (``(30
    days)``: the span of a month)."""
    out = []
    for name, path in PERIOD_VIEWS:
        out.append(('%s (1 day)' % name, _period_paths(path, sample.days)))
        out.append(('%s (30 days)' % name,
                    _period_paths(path, sample.months)))
    return out


def _get(session, url, headers):
    started = time.perf_counter()
    response = session.get(url, headers=headers, timeout=60)
    response.content  # noqa: B018 - read the whole body
    return response.status_code, time.perf_counter() - started


def latency(server, headers, name, request_paths):
    """Sequential requests of one path kind: client seconds and the
    server seconds of the same requests from the access log."""
    session = requests.Session()
    for path in request_paths[:_WARM_UP]:
        _get(session, server.url + path, headers)
    # gunicorn writes an access line after its response: let it flush.
    time.sleep(0.5)
    before = len(server.access_lines())
    client = []
    statuses = {}
    for path in request_paths:
        status, seconds = _get(session, server.url + path, headers)
        statuses[status] = statuses.get(status, 0) + 1
        client.append(seconds)
    time.sleep(0.5)
    timed = server.access_lines()[before:]
    server_seconds = [entry[4] for entry in timed]
    row = {'name': name}
    row.update({'server_' + key: value for key, value in
                report.latency_summary(server_seconds).items()})
    row.update({'client_' + key: value for key, value in
                report.latency_summary(client).items()})
    row['statuses'] = statuses
    return row


def throughput(server, headers, mixed_paths, duration, concurrency):
    """Requests per second of mixed reads by ``concurrency`` threads.

    The client shares the machine with the server: each thread keeps one
    ``http.client`` connection open, about a third of the CPU per request
    of ``requests``, so that the server gets the cores.
    """
    stop = threading.Event()
    counts = []
    lock = threading.Lock()
    address = urllib.parse.urlsplit(server.url)

    def worker(offset):
        connection = http.client.HTTPConnection(address.hostname,
                                                address.port, timeout=60)
        done = errors = 0
        index = offset
        while not stop.is_set():
            path = mixed_paths[index % len(mixed_paths)]
            index += concurrency
            try:
                connection.request('GET', path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                status = None
            if status == 200:
                done += 1
            else:
                errors += 1
        connection.close()
        with lock:
            counts.append((done, errors))

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        started = time.monotonic()
        futures = [pool.submit(worker, n) for n in range(concurrency)]
        time.sleep(duration)
        stop.set()
        for future in futures:
            future.result()
        elapsed = time.monotonic() - started
    done = sum(item[0] for item in counts)
    errors = sum(item[1] for item in counts)
    return {'name': 'mixed reads (%d threads)' % concurrency,
            'requests': done, 'errors': errors,
            'seconds': round(elapsed, 2),
            'requests_per_second': report.rate(done, elapsed)}


COLUMNS = [('name', 'path'), ('server_count', 'requests'),
           ('server_p50_ms', 'server p50 ms'),
           ('server_p95_ms', 'server p95 ms'),
           ('server_max_ms', 'server max ms'),
           ('client_p95_ms', 'client p95 ms'),
           ('requests_per_second', 'req/s'), ('errors', 'errors')]


def _check_keystone_options(options):
    """With ``--auth-url`` the rest of the user is needed too; without
    it the benchmark starts a Keystone."""
    if options.auth != 'keystone' or not options.auth_url:
        return
    missing = [name for name in ('username', 'password', 'project_name')
               if not getattr(options, name, None)]
    if missing:
        raise ValueError('Keystone auth at --auth-url needs %s (or the '
                         'OS_* variables); leave out --auth-url to start a '
                         'Keystone, or use --auth noauth'
                         % ', '.join('--' + name.replace('_', '-')
                                     for name in missing))


def start_keystone(work_dir, venv=None):
    """A Keystone of the benchmark's own; raises ``RuntimeError`` when it
    cannot be installed or started."""
    directory = os.path.join(work_dir, 'keystone')
    os.makedirs(directory)
    server = keystone.Keystone(directory, venv=venv)
    sys.stderr.write('Starting a Keystone (the first time, its virtualenv '
                     'is built: a few minutes)...\n')
    try:
        server.start()
    except keystone.KeystoneError as error:
        server.stop()
        raise RuntimeError('cannot start Keystone: %s' % error) from None
    return server


def _auth(options, work_dir):
    """(token headers, ``[keystone_authtoken]``, Keystone started or
    None) of the run."""
    if options.auth != 'keystone':
        return {}, None, None
    if options.auth_url:
        return ({'X-Auth-Token': keystone_token(options)},
                authtoken_options(options), None)
    server = start_keystone(work_dir, getattr(options, 'keystone_venv',
                                              None))
    try:
        token = server.token('admin', server.admin_password,
                             project_id=server.project_id('admin'))
    except keystone.KeystoneError:
        server.stop()
        raise
    return {'X-Auth-Token': token}, server.authtoken_options(), server


def _timed(results, server, headers, name, request_paths, target_ms):
    """Time one path kind, add its row and check its p95."""
    row = latency(server, headers, name, request_paths)
    row['target_ms'] = target_ms
    results.add(**row)
    # Only answered requests count: an error is fast and wrong.
    answered = set(row['statuses']) == {200}
    if not answered:
        results.note('%s: responses %s' % (name, row['statuses']))
    results.check('%s server p95 (ms)' % name, row['server_p95_ms'],
                  '<= %g' % target_ms,
                  answered and row['server_p95_ms'] is not None
                  and row['server_p95_ms'] <= target_ms)
    sys.stderr.write('%s: server p95 %s ms, client p95 %s ms\n' % (
        name, row['server_p95_ms'], row['client_p95_ms']))
    return row


def _check_month_to_day(results, rows):
    """The p95 over the whole span at most ``queries.MONTH_TO_DAY`` times
    the one-day p95 of the same view, in this run."""
    p95 = {row['name']: row['server_p95_ms'] for row in rows}
    for name, _path in PERIOD_VIEWS:
        day, month = p95[name + ' (1 day)'], p95[name + ' (30 days)']
        ratio = month / day if day and month is not None else None
        results.check('%s 30 days / 1 day (server p95)' % name,
                      None if ratio is None else round(ratio, 2),
                      '<= %g' % queries.MONTH_TO_DAY,
                      ratio is not None and ratio <= queries.MONTH_TO_DAY)


def _measure(results, server, headers, sample, options):
    """The latency of each path, then the mixed-read rate of the
    lookups."""
    mixed = []
    for name, request_paths in paths(sample):
        _timed(results, server, headers, name, request_paths, LOOKUP_P95_MS)
        mixed.append(request_paths)
    period_rows = [
        _timed(results, server, headers, name, request_paths,
               queries.SUMMARY_P95_MS)
        for name, request_paths in period_paths(sample)]
    _check_month_to_day(results, period_rows)
    interleaved = [path for group in zip(*mixed, strict=False)
                   for path in group]
    row = throughput(server, headers, interleaved, options.duration,
                     options.concurrency)
    results.add(**row)
    results.check('mixed reads (requests/s)', row['requests_per_second'],
                  '>= %d' % MIN_REQUESTS_PER_SECOND,
                  (row['requests_per_second'] or 0)
                  >= MIN_REQUESTS_PER_SECOND and row['errors'] == 0)
    sys.stderr.write('%s: %.0f requests/s, %d errors\n' % (
        row['name'], row['requests_per_second'] or 0, row['errors']))


def run(options):
    """Run the API benchmark; return a ``report.Results``."""
    _check_keystone_options(options)
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    results = report.Results('api', {
        'backend': databases.backend_of(options.use_database),
        'auth': options.auth, 'samples': options.samples,
        'workers': options.workers, 'concurrency': options.concurrency,
        'duration': options.duration})
    database = db_api.Database(databases.make_conf(options.use_database))
    try:
        sample = queries.Sample(database, options.samples)
    finally:
        database.dispose()
    results.parameters['stored'] = sample.stored
    headers, authtoken, own_keystone = _auth(options, work_dir)
    try:
        if options.auth == 'keystone':
            results.parameters['keystone'] = (
                'started by the benchmark' if own_keystone
                else options.auth_url)
        config = write_config(os.path.join(work_dir, 'api.conf'), options,
                              options.use_database, processes.free_port(),
                              authtoken)
        server = Server(config, work_dir, options.workers)
        try:
            server.start()
            _measure(results, server, headers, sample, options)
        finally:
            server.stop()
    finally:
        if own_keystone is not None:
            own_keystone.stop()
    results.finish()
    if not options.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    return results
