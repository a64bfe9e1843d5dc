"""``tox -e bench -- ingest``: drain a pre-filled RabbitMQ queue.

The same simulated traffic is put on fresh queues before each measurement
and drained by, in turn:

* ``noop``: a do-nothing oslo.messaging batch listener (the ceiling);
* ``listener``: stacktach-ng's listener with ``workers`` worker(s) and
  every handler of ``[listener] handlers``, into a fresh database;
* ``single``: one message, one transaction, one acknowledgement at a time
  (the StackTach v2 way), into a fresh database.

Filling the queues through a ``Notifier`` is slower than draining them, so
the messages are serialized once, as the ``messagingv2`` driver puts them
on the wire, and published with kombu to ``<topic>.<priority>`` of each
service's exchange. The queues are declared first by a listener with the
same targets (the consumers' own declaration, so that no queue argument
differs), then filled, then the consumer is started and timed. Topics and
exchanges are unique per measurement; queues, exchanges and databases are
deleted at the end.

The listener's memory (VmRSS of its process and its store processes) is
sampled every second.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import oslo_messaging
import sqlalchemy as sa

from stacktach_ng.db import models
from tests.perf import broker
from tests.perf import ceilometer_peer
from tests.perf import consumers
from tests.perf import databases
from tests.perf import proc_stats
from tests.perf import publisher
from tests.perf import report

# The exchanges of the services the simulator speaks for.
SERVICES = ('nova', 'glance', 'cinder', 'neutron')

KINDS = ('noop', 'listener', 'single')
# Other tools that consume the same queues, measured beside the listener.
PEERS = ('ceilometer',)

# Target ratios of SPEC section 9.
MIN_SHARE_OF_NOOP = 0.9
MIN_TIMES_SINGLE = 5.0

# Memory bar of SPEC section 9 (MiB).
MAX_RSS_MIB = 200

# A soak is flat when, once this share of its messages was handled, no
# memory figure moves more than MAX_SOAK_SPREAD from its lowest sample.
WARM_UP = 0.1
MAX_SOAK_SPREAD = 0.10

_NOTIFICATIONS = models.Notification.__table__
_SAMPLE_EVERY = 1.0
_DEPTH_TIMEOUT = 120.0


def build_workload(path, count, seed=42, fmt='mixed'):
    """Write ``count`` simulated messages to the workload file ``path``
    (see ``publisher``); return ``path``."""
    publisher.write_workload(path, count, seed, fmt)
    return path


class Bus:
    """The exchanges and topic of one measurement on a RabbitMQ server,
    with queues of ``queue_type`` (see ``broker.TYPES``)."""

    def __init__(self, transport_url, queue_type=broker.DEFAULT):
        suffix = uuid.uuid4().hex[:10]
        self.transport_url = transport_url
        self.queue_type = queue_type
        self.topic = 'stacktach-bench-%s' % suffix
        self.exchanges = {service: 'stacktach-bench-%s-%s' % (suffix,
                                                              service)
                          for service in SERVICES}

    @property
    def queues(self):
        return ['%s.%s' % (self.topic, priority)
                for priority in consumers.PRIORITIES]

    def listener_options(self):
        return {'exchanges': sorted(self.exchanges.values()),
                'topics': self.topic}

    def rabbit_options(self):
        return broker.rabbit_options(self.queue_type)

    def declare(self, conf):
        """Declare the queues and bindings as the consumers do: start a
        listener with the same targets on the empty queues, stop it."""
        transport = oslo_messaging.get_notification_transport(conf)
        targets = [oslo_messaging.Target(topic=self.topic, exchange=name)
                   for name in sorted(self.exchanges.values())]
        server = oslo_messaging.get_batch_notification_listener(
            transport, targets,
            [consumers.NoopEndpoint(consumers.Counter(1))],
            allow_requeue=True, batch_size=1, batch_timeout=1)
        server.start()
        server.stop()
        server.wait()
        transport.cleanup()

    def publisher_command(self, config, source, share=(0, 1),
                          limit=None, max_depth=None):
        """The command of a ``publisher`` process on this bus."""
        command = [sys.executable, '-m', 'tests.perf.publisher', config,
                   self.topic,
                   ','.join('%s=%s' % item
                            for item in sorted(self.exchanges.items())),
                   source, '--share', '%d/%d' % share]
        if limit:
            command += ['--limit', str(limit)]
        if max_depth:
            command += ['--max-depth', str(max_depth), '--queues',
                        ','.join(self.queues), '--transport-url',
                        self.transport_url]
        return command

    def fill(self, config, workload_path, count, publishers=1, log=None):
        """Publish the first ``count`` messages of the workload file with
        ``publishers`` Notifier processes; return once the queues hold
        all of them."""
        processes = [
            subprocess.Popen(
                self.publisher_command(config, workload_path,
                                       (number, publishers), limit=count),
                stdout=subprocess.DEVNULL, stderr=log)
            for number in range(publishers)]
        failed = [process.wait() for process in processes]
        if any(failed):
            raise RuntimeError('a publisher failed (exit codes %s)'
                               % failed)
        deadline = time.monotonic() + _DEPTH_TIMEOUT
        depth = self.depth()
        while depth < count and time.monotonic() < deadline:
            time.sleep(0.2)
            depth = self.depth()
        if depth != count:
            raise RuntimeError('the queues hold %d messages, not %d'
                               % (depth, count))

    def depth(self):
        """Messages ready in the queues of this measurement."""
        return broker.depth(self.transport_url, self.queues)

    def delete(self):
        broker.delete(self.transport_url, self.queues,
                      list(self.exchanges.values()))


# -- memory ------------------------------------------------------------

def memory_figures(samples, started_at, done_at, prefix='rss'):
    """Max memory and its growth between 10% and 100% of the run, in MiB.

    ``samples`` are (wall time, KiB) pairs; only those taken while the
    consumer was draining count. The keys start with ``prefix``.
    """
    inside = [(moment, kib) for moment, kib in samples
              if kib is not None
              and started_at <= moment <= done_at + _SAMPLE_EVERY]
    keys = ['%s_%s' % (prefix, name)
            for name in ('max_mib', 'at_10pct_mib', 'at_end_mib',
                         'growth_mib')]
    if not inside:
        return dict.fromkeys(keys)
    ten_percent = started_at + 0.1 * (done_at - started_at)
    early = min(inside, key=lambda sample: abs(sample[0] - ten_percent))
    last = inside[-1]
    values = (max(kib for _m, kib in inside), early[1], last[1],
              last[1] - early[1])
    return {key: round(value / 1024.0, 1)
            for key, value in zip(keys, values, strict=True)}


def process_memory(pids):
    """({pid: RSS KiB}, PSS of them all in KiB) of the processes ``pids``
    and their descendants (a worker and its store processes). RSS counts
    shared pages in each process; PSS shares them out, so that the sum is
    the memory the processes use together."""
    everyone = []
    for pid in pids:
        everyone.append(pid)
        everyone.extend(proc_stats.descendants(pid))
    rss = {pid: proc_stats.rss_kib(pid) for pid in everyone}
    pss = [proc_stats.pss_kib(pid) for pid in everyone]
    pss = [kib for kib in pss if kib is not None]
    return ({pid: kib for pid, kib in rss.items() if kib is not None},
            (sum(pss) if pss else None))


def memory_sample(pids):
    """(largest RSS of one process, PSS of them all) in KiB (see
    ``process_memory``)."""
    rss, pss = process_memory(pids)
    return (max(rss.values()) if rss else None), pss


def memory_of_samples(samples, started_at, done_at):
    """The figures of ``memory_sample()`` samples: (time, rss, pss)."""
    figures = memory_figures([(moment, rss) for moment, rss, _ in samples],
                             started_at, done_at, prefix='rss')
    figures.update(memory_figures(
        [(moment, pss) for moment, _, pss in samples],
        started_at, done_at, prefix='pss'))
    return figures


# -- one measurement ---------------------------------------------------

class Measurement:
    """Fill fresh queues, run one consumer on them, collect figures."""

    def __init__(self, kind, workload, count, options, work_dir,
                 workers=1):
        self.kind = kind
        self.workload = workload
        self.count = count
        self.options = options
        self.work_dir = work_dir
        self.workers = workers
        self.name = kind if workers == 1 else '%s-w%d' % (kind, workers)
        self.bus = Bus(options.transport_url, options.queues)
        self.database = None
        self.log_path = os.path.join(work_dir, '%s-%s.log'
                                     % (self.name, uuid.uuid4().hex[:6]))
        self.environment = {}

    def _config(self):
        sections = {
            'DEFAULT': {'transport_url': self.options.transport_url},
            'database': {'connection': self.database.url
                         if self.database else None},
            'listener': dict(self.bus.listener_options(),
                             workers=self.workers),
            'oslo_messaging_rabbit': self.bus.rabbit_options(),
        }
        if self.options.batch_size:
            sections['listener']['batch_size'] = self.options.batch_size
        if self.options.concurrent_batches:
            sections['listener']['concurrent_batches'] = (
                self.options.concurrent_batches)
        if self.options.store_processes is not None:
            sections['listener']['store_processes'] = (
                self.options.store_processes)
        return databases.write_config(
            os.path.join(self.work_dir, '%s.conf' % self.name), sections)

    def run(self):
        count = self.count
        try:
            if self.kind not in ('noop',) + PEERS:
                self.database = databases.ScratchDatabase(
                    self.options.backend, self.work_dir,
                    server_url=self.options.server_url)
                self.database.create()
            config = self._config()
            conf = databases.make_conf(None, config_file=config)
            if self.kind == 'ceilometer':
                self._configure_ceilometer(conf)
            self.bus.declare(conf)
            fill_started = time.monotonic()
            with open(self.log_path, 'ab') as log:
                self.bus.fill(config, self.workload, count,
                              publishers=self.options.publishers, log=log)
            fill_seconds = time.monotonic() - fill_started
            if self.workers == 1:
                figures = self._run_consumer(config, count)
            else:
                figures = self._run_listener_daemon(config, count)
            figures['fill_rate'] = report.rate(count, fill_seconds)
            if self.database is not None:
                figures['stored'] = self._stored()
            figures['left_in_queue'] = self.bus.depth()
            return figures
        finally:
            self.bus.delete()
            if self.database is not None and not self.options.keep:
                self.database.drop()

    def _configure_ceilometer(self, conf):
        """The agent's files, in a directory of this measurement: the
        same bus, queue type, batch size and batch timeout as the
        listener's."""
        directory = tempfile.mkdtemp(prefix='ceilometer-', dir=self.work_dir)
        venv = ceilometer_peer.ensure_venv(self.options.ceilometer_venv)
        config, events = ceilometer_peer.write_config(
            directory, self.options.transport_url, self.bus.topic,
            self.bus.exchanges.values(), self.bus.rabbit_options(),
            conf.listener.batch_size, conf.listener.batch_timeout)
        self.environment = ceilometer_peer.environment(venv, config, events)

    def _stored(self):
        engine = sa.create_engine(self.database.url,
                                  poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.select(
                    sa.func.count()).select_from(_NOTIFICATIONS)).scalar()
        finally:
            engine.dispose()

    def _spawn(self, command):
        log = open(self.log_path, 'ab')  # noqa: SIM115 - closed by caller
        process = subprocess.Popen(command, stdout=log,
                                   stderr=subprocess.STDOUT,
                                   start_new_session=True,
                                   env=dict(os.environ, **self.environment))
        return process, log

    def _timeout(self, count):
        # Generous: the slowest consumer does a few hundred a second.
        return max(600.0, count / 50.0)

    def _run_consumer(self, config, count, publisher_command=None,
                      trace=None, sample_every=_SAMPLE_EVERY):
        """Run the consumer to ``count`` messages; with
        ``publisher_command``, a publisher runs beside it (a soak) and
        every sample goes to ``trace`` too."""
        result_path = os.path.join(self.work_dir, '%s.json' % self.name)
        progress_path = os.path.join(self.work_dir,
                                     '%s.progress' % self.name)
        spawned = time.time()
        process, log = self._spawn([
            sys.executable, '-m', 'tests.perf.consumers',
            self.kind, config, str(count), result_path,
            str(self._timeout(count)), progress_path])
        feeder = None
        if publisher_command:
            feeder = subprocess.Popen(publisher_command,
                                      stdout=subprocess.DEVNULL, stderr=log)
        samples = []
        try:
            while process.poll() is None:
                # The consumer and its store processes.
                rss, pss = process_memory([process.pid])
                moment = time.time()
                samples.append((moment, max(rss.values()) if rss else None,
                                pss))
                if trace is not None:
                    trace.append(trace_sample(moment, process.pid, rss, pss,
                                              _read_progress(progress_path)))
                time.sleep(sample_every)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            if feeder is not None:
                if feeder.poll() is None:
                    feeder.kill()
                feeder.wait()
            log.close()
        exited = time.time()
        if not os.path.exists(result_path):
            raise RuntimeError('the %s consumer failed (exit %s); see %s'
                               % (self.kind, process.returncode,
                                  self.log_path))
        with open(result_path) as result:
            figures = json.load(result)
        figures['rate'] = report.rate(figures['timed'], figures['seconds'])
        figures['cpu_rate'] = report.rate(figures['timed'],
                                          figures['cpu_seconds'])
        # From the process start, imports and connections included.
        figures['wall_rate'] = report.rate(
            figures['handled'], figures['done_at'] - spawned)
        figures['exit_seconds'] = exited - figures['done_at']
        figures.update(memory_of_samples(samples, figures['started_at'],
                                         figures['done_at']))
        return figures

    def _run_listener_daemon(self, config, count):
        """``stacktach-ng-listener`` with several workers, timed from its
        start until the database holds every message."""
        script = os.path.join(os.path.dirname(sys.executable),
                              'stacktach-ng-listener')
        command = ([script] if os.path.exists(script)
                   else [sys.executable, '-m', 'stacktach_ng.cmd.listener'])
        started = time.time()
        process, log = self._spawn(command + ['--config-file', config])
        samples = []
        stored = 0
        deadline = time.monotonic() + self._timeout(count)
        next_sample = 0.0
        try:
            while (stored < count and process.poll() is None
                   and time.monotonic() < deadline):
                now = time.monotonic()
                if now >= next_sample:
                    # The workers with their store processes (not the
                    # parent, which only watches them).
                    samples.append(
                        (time.time(),)
                        + memory_sample(proc_stats.children(process.pid)))
                    next_sample = now + _SAMPLE_EVERY
                time.sleep(0.2)
                stored = self._stored()
            done = time.time()
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            log.close()
        figures = {'kind': self.kind, 'count': count, 'handled': stored,
                   'complete': stored >= count, 'seconds': None,
                   'wall_rate': report.rate(stored, done - started),
                   'rate': None, 'cpu_rate': None}
        figures.update(memory_of_samples(samples, started, done))
        return figures


class Soak(Measurement):
    """The listener on a queue fed while it drains: a publisher keeps at
    most ``max_depth`` messages ready, so that a million notifications
    never sit in the broker at once. Memory of each process is sampled
    every ``sample_every`` seconds with the count handled so far."""

    def __init__(self, options, work_dir, trace_path):
        super().__init__('listener', None, options.count, options, work_dir)
        self.trace = TraceFile(trace_path, {
            'count': options.count, 'queues': options.queues,
            'backend': options.backend, 'warm_up': WARM_UP})

    def run(self):
        count = self.count
        try:
            self.database = databases.ScratchDatabase(
                self.options.backend, self.work_dir,
                server_url=self.options.server_url)
            self.database.create()
            config = self._config()
            conf = databases.make_conf(None, config_file=config)
            self.bus.declare(conf)
            source = 'simulate:%d:%d:%s' % (count, self.options.seed,
                                            self.options.format)
            command = self.bus.publisher_command(
                config, source, max_depth=self.options.soak_depth)
            try:
                figures = self._run_consumer(
                    config, count, publisher_command=command,
                    trace=self.trace, sample_every=self.options.sample_every)
            finally:
                self.trace.close()
            # The samples of the drain: not the start-up, nor the stop
            # (when the store process exits).
            self.trace[:] = [sample for sample in self.trace
                             if figures['started_at'] <= sample['time']
                             <= figures['done_at']]
            figures['stored'] = self._stored()
            figures['left_in_queue'] = self.bus.depth()
            figures.update(soak_figures(self.trace, count))
            return figures
        finally:
            self.bus.delete()
            if self.database is not None and not self.options.keep:
                self.database.drop()


class TraceFile(list):
    """The samples of a soak, also written as they come to ``path`` (JSON
    lines after a first line of parameters): a soak stopped before its end
    keeps its curve."""

    def __init__(self, path, parameters):
        super().__init__()
        self.path = path
        self._output = open(path, 'w', encoding='utf-8')  # noqa: SIM115
        self._write(parameters)

    def _write(self, item):
        self._output.write(json.dumps(item) + '\n')
        self._output.flush()

    def append(self, sample):
        super().append(sample)
        self._write(sample)

    def close(self):
        self._output.close()


def read_trace(path):
    """(parameters, samples) of a ``TraceFile``."""
    with open(path, encoding='utf-8') as lines:
        parameters = json.loads(next(lines))
        return parameters, [json.loads(line) for line in lines if line.strip()]


def _read_progress(path):
    try:
        with open(path) as progress:
            return int(progress.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def trace_sample(moment, main_pid, rss, pss, handled):
    """One soak sample: RSS of each process by role (``listener``, the
    consumer's own process; ``store 1``... its children by pid), PSS of
    them all, in MiB, and the count handled."""
    roles = {}
    children = sorted(pid for pid in rss if pid != main_pid)
    if main_pid in rss:
        roles['listener'] = round(rss[main_pid] / 1024.0, 1)
    for number, pid in enumerate(children, 1):
        roles['store %d' % number] = round(rss[pid] / 1024.0, 1)
    return {'time': moment, 'handled': handled, 'rss_mib': roles,
            'pss_mib': None if pss is None else round(pss / 1024.0, 1)}


def soak_figures(trace, count, warm_up=WARM_UP):
    """Flatness after warm-up: for the PSS of all the processes and the
    RSS of each, the lowest and highest sample once ``warm_up`` of the
    ``count`` messages were handled, and (highest - lowest) / lowest."""
    after = [sample for sample in trace
             if sample['handled'] >= warm_up * count]
    series = {'pss': [sample['pss_mib'] for sample in after
                      if sample['pss_mib'] is not None]}
    for sample in after:
        for role, mib in sample['rss_mib'].items():
            series.setdefault('rss ' + role, []).append(mib)
    figures = {'soak_samples': len(trace), 'soak_samples_after_warm_up':
               len(after)}
    spreads = {}
    for name, values in series.items():
        if not values:
            continue
        low, high = min(values), max(values)
        spreads[name] = {'low_mib': low, 'high_mib': high,
                         'spread': round((high - low) / low, 3)
                         if low else None}
    figures['soak_spreads'] = spreads
    return figures


# -- the benchmark -----------------------------------------------------

COLUMNS = [
    ('name', 'consumer'), ('workers', 'procs'), ('count', 'messages'),
    ('rate', 'msgs/s'), ('startup_seconds', 'start-up s'),
    ('wall_rate', 'msgs/s incl. start-up'),
    ('cpu_rate', 'msgs/CPU-s'),
    ('rss_max_mib', 'RSS max MiB (largest process)'),
    ('pss_max_mib', 'PSS max MiB (all processes)'),
    ('pss_growth_mib', 'PSS growth 10%-100% MiB'), ('stored', 'stored'),
]


def run(options):
    """Run the measurements of ``options``; return a ``report.Results``."""
    results = report.Results('ingest', {
        'backend': options.backend, 'count': options.count,
        'queues': options.queues,
        'single_count': options.single_count or options.count,
        'format': options.format, 'seed': options.seed,
        'batch_size': options.batch_size or 'default',
        'concurrent_batches': options.concurrent_batches or 'default',
        'store_processes': ('default' if options.store_processes is None
                            else options.store_processes),
        'publishers': options.publishers,
        'peer': options.peer or 'none',
        'transport_url': options.transport_url.split('@')[-1],
    })
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    if options.soak:
        _soak(options, work_dir, results)
    else:
        _rounds(options, work_dir, results)
    results.finish()
    if not options.keep:
        # Only after success: a failure leaves the consumers' logs.
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def plan_of(options):
    """The consumers of one round, in the order of the first round."""
    plan = [('noop', 1), ('listener', 1)]
    if options.peer:
        plan.append((options.peer, 1))
    if options.workers > 1:
        plan.append(('listener', options.workers))
    if not options.skip_single:
        plan.append(('single', 1))
    return plan


def round_order(plan, round_number):
    """Rounds alternate: every other one runs the consumers in the
    reverse order, so that a drift of the machine's load during the run
    does not always favour the same consumer."""
    return list(plan) if round_number % 2 == 0 else list(reversed(plan))


def _rounds(options, work_dir, results):
    workload = build_workload(os.path.join(work_dir, 'workload.jsonl'),
                              options.count, options.seed, options.format)
    plan = plan_of(options)
    figures = {}
    for round_number in range(options.repeat):
        for kind, workers in round_order(plan, round_number):
            count = (min(options.single_count, options.count)
                     if kind == 'single' and options.single_count
                     else options.count)
            measurement = Measurement(kind, workload, count, options,
                                      work_dir, workers=workers)
            row = measurement.run()
            row.update(name=measurement.name, workers=workers,
                       round=round_number + 1, queues=options.queues,
                       load_average=report.load_average())
            results.add(**row)
            figures.setdefault(measurement.name, []).append(row)
            _progress(row)
    _judge(results, figures)


def _plot(soak, options, trace_path, results):
    # A soak takes an hour: a missing plotting library must not lose its
    # figures (tox -e bench installs matplotlib).
    try:
        from tests.perf import soak_plot

        soak_plot.plot(soak.trace, options.plot, title=(
            'stacktach-ng listener, %d notifications, %s queues, %s'
            % (options.count, options.queues, options.backend)),
            warm_up=WARM_UP * options.count, count=options.count)
    except ImportError as error:
        results.note('no plot drawn (%s); draw it from the samples with '
                     'python -m tests.perf.soak_plot %s %s'
                     % (error, trace_path, options.plot))
    else:
        results.note('soak plot written to %s' % options.plot)


def _soak(options, work_dir, results):
    trace_path = options.trace or os.path.join(work_dir, 'soak.jsonl')
    soak = Soak(options, work_dir, trace_path)
    row = soak.run()
    row.update(name='listener (soak)', workers=1, round=1,
               queues=options.queues, load_average=report.load_average())
    results.add(**row)
    _progress(row)
    results.note('soak samples written to %s' % trace_path)
    if options.plot:
        _plot(soak, options, trace_path, results)
    if not row.get('complete'):
        results.note('the listener did not handle every message')
    for name, spread in sorted(row['soak_spreads'].items()):
        results.check('soak %s spread after %d%% (%.0f to %.0f MiB)'
                      % (name, WARM_UP * 100, spread['low_mib'],
                         spread['high_mib']),
                      spread['spread'], '<= %.2f' % MAX_SOAK_SPREAD,
                      spread['spread'] is not None
                      and spread['spread'] <= MAX_SOAK_SPREAD)
    peak = max((max(sample['rss_mib'].values()) for sample in soak.trace
                if sample['rss_mib']), default=None)
    if peak is not None:
        results.check('soak RSS max of a process (MiB)', peak,
                      '< %d' % MAX_RSS_MIB, peak < MAX_RSS_MIB)


def _progress(row):
    sys.stderr.write('%s: %s msgs/s (%d handled) load %s\n' % (
        row['name'], '%.0f' % row['rate'] if row.get('rate')
        else '%.0f (from start-up)' % (row.get('wall_rate') or 0),
        row.get('handled') or 0, row['load_average']))


def _best(rows, key='rate'):
    values = [row.get(key) for row in rows if row.get(key)]
    return max(values) if values else None


def same_round_ratios(numerators, denominators):
    """Per round, the ratio of two consumers' rates measured in it."""
    by_round = {row['round']: row.get('rate') for row in denominators}
    ratios = []
    for row in numerators:
        ratio = report.ratio(row.get('rate'), by_round.get(row['round']))
        if ratio is not None:
            ratios.append(round(ratio, 3))
    return ratios


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def _judge(results, figures):
    """The SPEC ratios, each from the two consumers of one round (they
    ran back to back, on the same load): the median round, and every
    round in a note."""
    for row in figures.get('listener', []):
        if not row.get('complete'):
            results.note('the listener did not store every message')
    noop = figures.get('noop', [])
    listener = figures.get('listener', [])
    shares = same_round_ratios(listener, noop)
    if shares:
        share = _median(shares)
        results.note('listener / do-nothing by round: %s'
                     % ', '.join('%.2f' % value for value in shares))
        results.check('listener rate / do-nothing batch listener rate '
                      '(median round)', share,
                      '>= %.2f' % MIN_SHARE_OF_NOOP,
                      share >= MIN_SHARE_OF_NOOP)
    times = same_round_ratios(listener, figures.get('single', []))
    if times:
        value = _median(times)
        results.check('listener rate / one-message-per-transaction rate '
                      '(median round)', value,
                      '>= %.1f' % MIN_TIMES_SINGLE,
                      value >= MIN_TIMES_SINGLE)
    for peer in PEERS:
        peer_shares = same_round_ratios(figures.get(peer, []), noop)
        if peer_shares:
            results.note('%s / do-nothing by round: %s' % (peer, ', '.join(
                '%.2f' % value for value in peer_shares)))
        ours = same_round_ratios(listener, figures.get(peer, []))
        if ours:
            results.note('listener / %s by round: %s' % (peer, ', '.join(
                '%.2f' % value for value in ours)))
    listener_rows = figures.get('listener', [])
    for key, label in (('rss_max_mib', 'listener RSS max of a process '
                                       '(MiB)'),
                       ('pss_max_mib', 'listener memory, worker and store '
                                       'processes together (PSS, MiB)')):
        peaks = [row.get(key) for row in listener_rows
                 if row.get(key) is not None]
        if peaks:
            # The worst round: memory must stay under the bar every time.
            peak = max(peaks)
            results.check(label, peak, '< %d' % MAX_RSS_MIB,
                          peak < MAX_RSS_MIB)
