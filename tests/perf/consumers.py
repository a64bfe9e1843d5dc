"""The consumers the ingest benchmark times, each in a process of its own.

::

    python -m tests.perf.consumers KIND CONFIG_FILE COUNT RESULT [TIMEOUT
        [PROGRESS]]

``KIND`` is one of:

``listener``
    stacktach-ng's ``ListenerService`` (one worker), the product under
    test: batches, every configured handler, one transaction per batch.
``noop``
    the ceiling: an oslo.messaging batch notification listener with the
    same targets, batch size, batch timeout, thread pool and prefetch as
    the listener, whose endpoint does nothing (returns None, so every
    batch is acknowledged at once) for all seven priorities.
``ceilometer``
    the peer: Ceilometer's notification agent, events pipeline, file
    publisher (see ``ceilometer_peer``), started from its own virtualenv;
    it is ready when it wrote its first event, and it has handled what it
    wrote.
``single``
    the StackTach v2 way: a plain (non-batch) oslo.messaging notification
    listener whose endpoint runs the same pipeline (normalize, every
    handler, commit) on one message per call, one call at a time, and
    acknowledges it.

Each one is timed from the moment it is ready (connected, its store
processes started) until it has handled ``COUNT`` messages (committed them,
for ``listener`` and ``single``); the messages handled while it started are
left out of the rate, and the start-up time is reported on its own. CPU
time is that of the process and its children. The figures are written as
JSON to ``RESULT``; the process then stops its consumer cleanly and exits.
With ``PROGRESS``, the number handled so far is written to that file every
second (a soak plots memory against it).
"""

# An entry point of its own (python -m): oslo.service's threading backend
# first, before the listener's imports select one.
from stacktach_ng.common import service_backend

service_backend.use_threads()

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import oslo_messaging  # noqa: E402

from stacktach_ng import service  # noqa: E402
from stacktach_ng.db import api as db_api  # noqa: E402
from stacktach_ng.listener import service as listener_service  # noqa: E402
from stacktach_ng.pipeline import runner  # noqa: E402
from tests.perf import ceilometer_peer  # noqa: E402
from tests.perf import proc_stats  # noqa: E402

LOG = logging.getLogger(__name__)

KINDS = ('listener', 'noop', 'single', 'ceilometer')
PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')

_POLL = 0.02
# How long the peer may take to import, connect and write its first event.
_PEER_START_TIMEOUT = 300.0
_PROGRESS_EVERY = 1.0


class Counter:
    """Messages handled so far; ``reached`` is set at the target."""

    def __init__(self, target):
        self.target = target
        self.value = 0
        self.reached = threading.Event()
        self._lock = threading.Lock()

    def add(self, count):
        with self._lock:
            self.value += count
            if self.value >= self.target:
                self.reached.set()


class NoopEndpoint:
    """Acknowledges every batch of every priority without looking at it."""

    def __init__(self, counter):
        self.counter = counter

    def _batch(self, messages):
        self.counter.add(len(messages))

    audit = debug = info = warn = error = critical = sample = _batch


class SingleMessageEndpoint:
    """One message, one pipeline call, one transaction, one ack."""

    def __init__(self, pipeline, counter):
        self.pipeline = pipeline
        self.counter = counter

    def _one(self, priority, ctxt, publisher_id, event_type, payload,
             metadata):
        message = {'ctxt': ctxt, 'publisher_id': publisher_id,
                   'event_type': event_type, 'payload': payload,
                   'metadata': metadata}
        try:
            result = self.pipeline.process(
                runner.envelopes_from_listener([message],
                                                        priority))
        except Exception:
            LOG.exception('Message failed; requeued')
            return oslo_messaging.NotificationResult.REQUEUE
        self.counter.add(result.received)
        return None

    def audit(self, *args):
        return self._one('audit', *args)

    def debug(self, *args):
        return self._one('debug', *args)

    def info(self, *args):
        return self._one('info', *args)

    def warn(self, *args):
        return self._one('warn', *args)

    def error(self, *args):
        return self._one('error', *args)

    def critical(self, *args):
        return self._one('critical', *args)

    def sample(self, *args):
        return self._one('sample', *args)


class _MessagingConsumer:
    """A plain oslo.messaging listener (``noop`` or ``single``)."""

    def __init__(self, conf, kind, counter):
        self.conf = conf
        self.kind = kind
        self.counter = counter
        self.database = None
        self.transport = None
        self.server = None

    def start(self):
        conf = self.conf
        # The same prefetch as the listener sets for itself.
        listener_service.bound_prefetch(conf)
        self.transport = oslo_messaging.get_notification_transport(conf)
        targets = listener_service.listener_targets(conf)
        if self.kind == 'noop':
            self.server = oslo_messaging.get_batch_notification_listener(
                self.transport, targets, [NoopEndpoint(self.counter)],
                allow_requeue=True, pool=conf.listener.pool,
                batch_size=int(conf.listener.batch_size),
                batch_timeout=int(conf.listener.batch_timeout))
            self.server.start(
                override_pool_size=conf.listener.concurrent_batches)
        else:
            self.database = db_api.Database(conf)
            pipeline = runner.Pipeline(conf, self.database)
            self.server = oslo_messaging.get_notification_listener(
                self.transport, targets,
                [SingleMessageEndpoint(pipeline, self.counter)],
                allow_requeue=True, pool=conf.listener.pool)
            # One message at a time, as StackTach v2's worker did.
            self.server.start(override_pool_size=1)

    def handled(self):
        return self.counter.value

    def stop(self):
        self.server.stop()
        self.server.wait()
        self.transport.cleanup()
        if self.database is not None:
            self.database.dispose()


class _ListenerConsumer:
    """The product: ``ListenerService`` as one worker runs it."""

    def __init__(self, conf, counter):
        self.service = listener_service.ListenerService(conf)
        self.counter = counter

    def start(self):
        self.service.start()

    def handled(self):
        stats = self.service.stats.snapshot()
        value = (stats.get('stored', 0) + stats.get('duplicates', 0)
                 + stats.get('rejected', 0))
        self.counter.value = value
        if value >= self.counter.target:
            self.counter.reached.set()
        return value

    def stop(self):
        self.service.stop()
        self.service.wait()

    def stats(self):
        return self.service.stats.snapshot()


class _CeilometerConsumer:
    """Ceilometer's notification agent, a process of its own."""

    def __init__(self, counter):
        self.agent = ceilometer_peer.Agent.from_environment()
        self.counter = counter

    def start(self):
        self.agent.start()
        deadline = time.monotonic() + _PEER_START_TIMEOUT
        while (not self.agent.written() and self.agent.alive()
               and time.monotonic() < deadline):
            time.sleep(_POLL)
        if not self.agent.written():
            self.agent.stop()
            raise RuntimeError('the Ceilometer agent wrote no event within '
                               '%d s (exit code %s)' % (
                                   _PEER_START_TIMEOUT,
                                   self.agent.process.poll()))

    def handled(self):
        value = self.agent.written()
        self.counter.value = value
        if value >= self.counter.target:
            self.counter.reached.set()
        return value

    def stop(self):
        self.agent.stop()


def _write_progress(path, handled):
    # Written aside and renamed: a reader never sees half a number.
    with open(path + '.new', 'w') as output:
        output.write('%d\n' % handled)
    os.replace(path + '.new', path)


def run(kind, config_file, count, timeout, progress_path=None):
    """Start a consumer, time it to ``count`` messages; return figures."""
    conf = service.prepare_service(
        ['stacktach-ng-bench-' + kind, '--config-file', config_file],
        register_gmr=False)
    counter = Counter(count)
    if kind == 'listener':
        consumer = _ListenerConsumer(conf, counter)
    elif kind == 'ceilometer':
        consumer = _CeilometerConsumer(counter)
    else:
        consumer = _MessagingConsumer(conf, kind, counter)
    pid = os.getpid()
    launched = time.monotonic()
    consumer.start()
    started_wall = time.time()
    started = time.monotonic()
    cpu_started = proc_stats.tree_cpu_seconds(pid)
    before = consumer.handled()
    deadline = started + timeout
    next_progress = 0.0
    while (not counter.reached.is_set()
           and time.monotonic() < deadline):
        handled = consumer.handled()
        if progress_path and time.monotonic() >= next_progress:
            _write_progress(progress_path, handled)
            next_progress = time.monotonic() + _PROGRESS_EVERY
        counter.reached.wait(_POLL)
    handled = consumer.handled()
    if progress_path:
        _write_progress(progress_path, handled)
    elapsed = time.monotonic() - started
    cpu_seconds = proc_stats.tree_cpu_seconds(pid) - cpu_started
    figures = {
        'kind': kind,
        'count': count,
        'handled': counter.value,
        'complete': counter.value >= count,
        'timed': counter.value - before,
        'seconds': elapsed,
        'startup_seconds': started - launched,
        'cpu_seconds': cpu_seconds,
        'started_at': started_wall,
        'done_at': started_wall + elapsed,
    }
    consumer.stop()
    if kind == 'listener':
        figures['stats'] = consumer.stats()
    return figures


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (4, 5, 6) or argv[0] not in KINDS:
        sys.stderr.write('usage: python -m tests.perf.consumers '
                         '{%s} CONFIG_FILE COUNT RESULT [TIMEOUT '
                         '[PROGRESS]]\n' % '|'.join(KINDS))
        return 2
    kind, config_file, count, result_path = argv[:4]
    timeout = float(argv[4]) if len(argv) >= 5 else 3600.0
    progress_path = argv[5] if len(argv) == 6 else None
    figures = run(kind, config_file, int(count), timeout, progress_path)
    with open(result_path, 'w', encoding='utf-8') as output:
        json.dump(figures, output)
    return 0 if figures['complete'] else 1


if __name__ == '__main__':
    sys.exit(main())
