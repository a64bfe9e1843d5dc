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

import kombu
import oslo_messaging
import sqlalchemy as sa

from stacktach_ng.common import jsonutils
from stacktach_ng.db import models
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks
from tests.perf import consumers
from tests.perf import databases
from tests.perf import proc_stats
from tests.perf import report

# The exchanges of the services the simulator speaks for.
SERVICES = ('nova', 'glance', 'cinder', 'neutron')

KINDS = ('noop', 'listener', 'single')

# Target ratios of SPEC section 9.
MIN_SHARE_OF_NOOP = 0.9
MIN_TIMES_SINGLE = 5.0

# Memory bar of SPEC section 9 (MiB).
MAX_RSS_MIB = 200

_NOTIFICATIONS = models.Notification.__table__
_SAMPLE_EVERY = 1.0
_DEPTH_TIMEOUT = 120.0


def kombu_url(transport_url):
    """The kombu URL of a ``rabbit://`` transport URL."""
    scheme, rest = transport_url.split('://', 1)
    if scheme not in ('rabbit', 'amqp'):
        raise ValueError('the ingest benchmark needs a RabbitMQ transport '
                         'URL (rabbit://...), not %r' % transport_url)
    return 'amqp://' + rest


def build_workload(count, seed=42, fmt='mixed'):
    """``count`` simulated messages as (service, priority, wire bytes).

    The bytes are what the ``messagingv2`` driver publishes: the
    ``oslo.version`` 2.0 envelope around the JSON body, with a
    ``_unique_id`` as a Notifier stamps it.
    """
    workload = []
    simulator = engine.Simulator(seed=seed, fmt=fmt)
    for body in simulator.messages(count=count):
        body = dict(body, _unique_id=uuid.uuid4().hex)
        priority = str(body.get('priority') or 'INFO').lower()
        wire = jsonutils.dumps({'oslo.version': '2.0',
                                'oslo.message': jsonutils.dumps(body)})
        workload.append((sinks.exchange_of(body), priority,
                         wire.encode('utf-8')))
    return workload


class Bus:
    """The exchanges and topic of one measurement on a RabbitMQ server."""

    def __init__(self, transport_url):
        suffix = uuid.uuid4().hex[:10]
        self.transport_url = transport_url
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

    def fill(self, workload):
        """Publish the workload; return once the queues hold all of it."""
        with kombu.Connection(kombu_url(self.transport_url)) as connection:
            channel = connection.default_channel
            for service, priority, body in workload:
                message = channel.prepare_message(
                    body, content_type='application/json',
                    content_encoding='utf-8')
                channel.basic_publish(
                    message, exchange=self.exchanges[service],
                    routing_key='%s.%s' % (self.topic, priority))
        deadline = time.monotonic() + _DEPTH_TIMEOUT
        depth = self.depth()
        while depth < len(workload) and time.monotonic() < deadline:
            time.sleep(0.2)
            depth = self.depth()
        if depth != len(workload):
            raise RuntimeError('the queues hold %d messages, not %d'
                               % (depth, len(workload)))

    def depth(self):
        """Messages ready in the queues of this measurement."""
        total = 0
        with kombu.Connection(kombu_url(self.transport_url)) as connection:
            for name in self.queues:
                channel = connection.channel()
                try:
                    total += channel.queue_declare(
                        queue=name, passive=True).message_count
                except Exception:  # noqa: S110 - not declared: empty
                    pass
                finally:
                    _close_quietly(channel)
        return total

    def delete(self):
        with kombu.Connection(kombu_url(self.transport_url)) as connection:
            for name in self.queues:
                channel = connection.channel()
                try:
                    channel.queue_delete(queue=name)
                except Exception:  # noqa: S110 - already gone
                    pass
                finally:
                    _close_quietly(channel)
            for name in self.exchanges.values():
                channel = connection.channel()
                try:
                    channel.exchange_delete(exchange=name)
                except Exception:  # noqa: S110 - already gone
                    pass
                finally:
                    _close_quietly(channel)


def _close_quietly(channel):
    try:
        channel.close()
    except Exception:  # noqa: S110 - the connection closes it anyway
        pass


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


def memory_sample(pids):
    """(largest RSS of one process, PSS of them all) in KiB, for the
    processes ``pids`` and their descendants (a worker and its store
    processes). RSS counts shared pages in each process; PSS shares them
    out, so that the sum is the memory the processes use together."""
    everyone = []
    for pid in pids:
        everyone.append(pid)
        everyone.extend(proc_stats.descendants(pid))
    rss = [proc_stats.rss_kib(pid) for pid in everyone]
    pss = [proc_stats.pss_kib(pid) for pid in everyone]
    rss = [kib for kib in rss if kib is not None]
    pss = [kib for kib in pss if kib is not None]
    return (max(rss) if rss else None), (sum(pss) if pss else None)


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

    def __init__(self, kind, workload, options, work_dir, workers=1):
        self.kind = kind
        self.workload = workload
        self.options = options
        self.work_dir = work_dir
        self.workers = workers
        self.name = kind if workers == 1 else '%s-w%d' % (kind, workers)
        self.bus = Bus(options.transport_url)
        self.database = None
        self.log_path = os.path.join(work_dir, '%s-%s.log'
                                     % (self.name, uuid.uuid4().hex[:6]))

    def _config(self):
        sections = {
            'DEFAULT': {'transport_url': self.options.transport_url},
            'database': {'connection': self.database.url
                         if self.database else None},
            'listener': dict(self.bus.listener_options(),
                             workers=self.workers),
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
        count = len(self.workload)
        try:
            if self.kind != 'noop':
                self.database = databases.ScratchDatabase(
                    self.options.backend, self.work_dir,
                    server_url=self.options.server_url)
                self.database.create()
            config = self._config()
            conf = databases.make_conf(None, config_file=config)
            self.bus.declare(conf)
            fill_started = time.monotonic()
            self.bus.fill(self.workload)
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
                                   start_new_session=True)
        return process, log

    def _timeout(self, count):
        # Generous: the slowest consumer does a few hundred a second.
        return max(600.0, count / 50.0)

    def _run_consumer(self, config, count):
        result_path = os.path.join(self.work_dir, '%s.json' % self.name)
        spawned = time.time()
        process, log = self._spawn([
            sys.executable, '-m', 'tests.perf.consumers',
            self.kind, config, str(count), result_path,
            str(self._timeout(count))])
        samples = []
        try:
            while process.poll() is None:
                # The consumer and its store processes.
                samples.append((time.time(),)
                               + memory_sample([process.pid]))
                time.sleep(_SAMPLE_EVERY)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
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
        'single_count': options.single_count or options.count,
        'format': options.format, 'seed': options.seed,
        'batch_size': options.batch_size or 'default',
        'concurrent_batches': options.concurrent_batches or 'default',
        'store_processes': ('default' if options.store_processes is None
                            else options.store_processes),
        'transport_url': options.transport_url.split('@')[-1],
    })
    work_dir = tempfile.mkdtemp(prefix='stacktach-bench-')
    workload = build_workload(options.count, options.seed, options.format)
    plan = [('noop', 1), ('listener', 1)]
    if options.workers > 1:
        plan.append(('listener', options.workers))
    if not options.skip_single:
        plan.append(('single', 1))
    figures = {}
    for round_number in range(options.repeat):
        for kind, workers in plan:
            load = (workload[:options.single_count]
                    if kind == 'single' and options.single_count
                    else workload)
            measurement = Measurement(kind, load, options, work_dir,
                                      workers=workers)
            row = measurement.run()
            row.update(name=measurement.name, workers=workers,
                       round=round_number + 1,
                       load_average=report.load_average())
            results.add(**row)
            figures.setdefault(measurement.name, []).append(row)
            _progress(row)
    _judge(results, figures)
    results.finish()
    if not options.keep:
        # Only after success: a failure leaves the consumers' logs.
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def _progress(row):
    sys.stderr.write('%s: %s msgs/s (%d handled) load %s\n' % (
        row['name'], '%.0f' % row['rate'] if row.get('rate')
        else '%.0f (from start-up)' % (row.get('wall_rate') or 0),
        row.get('handled') or 0, row['load_average']))


def _best(rows, key='rate'):
    values = [row.get(key) for row in rows if row.get(key)]
    return max(values) if values else None


def _judge(results, figures):
    """The SPEC ratios, from the best round of each consumer (the rounds
    with the least interference from the rest of the machine)."""
    ours = _best(figures.get('listener', []))
    noop = _best(figures.get('noop', []))
    single = _best(figures.get('single', []))
    for row in figures.get('listener', []):
        if not row.get('complete'):
            results.note('the listener did not store every message')
    share = report.ratio(ours, noop)
    if share is not None:
        results.check('listener rate / do-nothing batch listener rate',
                      share, '>= %.2f' % MIN_SHARE_OF_NOOP,
                      share >= MIN_SHARE_OF_NOOP)
    times = report.ratio(ours, single)
    if times is not None:
        results.check('listener rate / one-message-per-transaction rate',
                      times, '>= %.1f' % MIN_TIMES_SINGLE,
                      times >= MIN_TIMES_SINGLE)
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
