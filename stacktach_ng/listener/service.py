"""The notification listener: RabbitMQ batches in, committed rows out.

One ``ListenerService`` runs in each worker process of
``stacktach-ng-listener``. It consumes ``[listener] exchanges`` x ``topics``
(x ``pool``) for all seven priorities with an oslo.messaging batch
notification server, ``allow_requeue=True``, and hands every batch to the
ingest ``Pipeline``. The contract with the broker (SPEC section 3):

* a batch is acknowledged only after its transaction committed;
* a transient database error requeues the batch and pauses the worker
  (exponential back-off from 0.5 s up to ``[listener] retry_backoff_max``,
  reset by the next success), so that nothing is lost and nothing spins
  while the database is away;
* any other error requeues the batch once; when messages that already
  failed fail again, the batch is split until the culprits are found, the
  rest is stored and the culprits are recorded as rejected, so that the
  queue moves on;
* poison (not JSON, not a dict, no event type, no priority, too large) is
  recorded in ``rejected_messages`` and acknowledged (see ``poison``);
* a redelivered message (its acknowledgement was lost with the connection,
  e.g. in a broker restart) is processed again, found a duplicate and
  acknowledged (see ``common.patches.PassRedeliveries``).
"""

import collections
import threading
import time

import oslo_messaging
from oslo_log import log as logging
from oslo_messaging import opts as messaging_opts
from oslo_messaging.notify import listener as notify_listener
from oslo_service import service

from stacktach_ng.analyses import rollups
from stacktach_ng.common import patches
from stacktach_ng.db import api as db_api
from stacktach_ng.db import partitions
from stacktach_ng.listener import heartbeat
from stacktach_ng.listener import poison
from stacktach_ng.listener import store_process
from stacktach_ng.listener import transient
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import runner
from stacktach_ng.retention import purge

LOG = logging.getLogger(__name__)

REQUEUE = oslo_messaging.NotificationResult.REQUEUE

INITIAL_BACKOFF = 0.5

# How many message ids of failed batches a worker remembers.
_SUSPECTS = 10000
# Message ids named in a log line, and the length of an error's text there.
_IDS_SHOWN = 10
_ERROR_TEXT = 300


class Backoff:
    """The pause after transient errors, shared by a worker's batches.

    ``failed()`` doubles the pause (from ``initial`` up to ``maximum``) and
    sets the moment the worker may try again; errors of batches that were
    already running during that pause do not double it once more.
    ``succeeded()`` resets it. ``wait()`` blocks until the moment, or until
    ``stop`` is set (shutdown never waits for the database).
    """

    def __init__(self, maximum, initial=INITIAL_BACKOFF, clock=time.monotonic):
        self.initial = min(initial, maximum)
        self.maximum = maximum
        self._clock = clock
        self._lock = threading.Lock()
        self.delay = 0.0
        self._resume_at = 0.0

    def failed(self):
        """Record a failure; return the current pause in seconds."""
        with self._lock:
            now = self._clock()
            if now >= self._resume_at:
                self.delay = (self.initial if not self.delay
                              else min(self.delay * 2, self.maximum))
                self._resume_at = now + self.delay
            return self.delay

    def succeeded(self):
        with self._lock:
            self.delay = 0.0
            self._resume_at = 0.0

    def remaining(self):
        with self._lock:
            return max(0.0, self._resume_at - self._clock())

    def wait(self, stop):
        while not stop.is_set():
            left = self.remaining()
            if left <= 0:
                return
            stop.wait(left)


class _Suspects:
    """Message ids of batches that failed with a non-transient error.

    A batch is split only when it holds a message that failed before: one
    unexplained failure could be a fluke, a second one is a pattern.
    """

    def __init__(self, size=_SUSPECTS):
        self._ids = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def any_seen(self, ids):
        with self._lock:
            return any(message_id in self._ids for message_id in ids)

    def remember(self, ids):
        with self._lock:
            for message_id in ids:
                self._ids[message_id] = True
                self._ids.move_to_end(message_id)
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)

    def forget(self, ids):
        with self._lock:
            for message_id in ids:
                self._ids.pop(message_id, None)


class _TransientDuringSplit(Exception):
    pass


def message_id_of(item):
    """The message id of an envelope or ``Rejected`` error, for logs."""
    if isinstance(item, rejection.Rejected):
        message = item.message
        if isinstance(message, dict):
            return rejection._field(message, 'message_id') or '<unknown>'
        return '<undecodable>'
    message_id = (item.get('metadata') or {}).get('message_id')
    if message_id in (None, ''):
        try:
            return normalize.deterministic_message_id(item)
        except Exception:
            return '<unknown>'
    return str(message_id)


def _error_text(error):
    """An error on one bounded line (oslo.db's carry the whole SQL)."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ''
    if len(text) > _ERROR_TEXT:
        text = text[:_ERROR_TEXT - 3] + '...'
    # A store process's error carries the original error's class name.
    type_name = getattr(error, 'type_name', None) or type(error).__name__
    return '%s: %s' % (type_name, text)


def _ids_text(ids):
    shown = ', '.join(ids[:_IDS_SHOWN])
    if len(ids) > _IDS_SHOWN:
        shown += ' and %d more' % (len(ids) - _IDS_SHOWN)
    return shown


class BatchEndpoint:
    """The endpoint of every priority; one per worker.

    Batches run concurrently on the server's thread pool: everything here
    is thread-safe.
    """

    def __init__(self, pipeline, stats, backoff, stopping=None):
        self.pipeline = pipeline
        self.stats = stats
        self.backoff = backoff
        self.stopping = stopping or threading.Event()
        self._suspects = _Suspects()

    # One method per priority: oslo.messaging consumes only the queues of
    # the priorities its endpoints have, and producers declare all seven.
    def audit(self, messages):
        return self.process(messages, 'audit')

    def debug(self, messages):
        return self.process(messages, 'debug')

    def info(self, messages):
        return self.process(messages, 'info')

    def warn(self, messages):
        return self.process(messages, 'warn')

    def error(self, messages):
        return self.process(messages, 'error')

    def critical(self, messages):
        return self.process(messages, 'critical')

    def sample(self, messages):
        return self.process(messages, 'sample')

    def rejected(self, errors):
        """Record poison found before dispatch (see ``poison``)."""
        return self.handle(list(errors))

    def process_batch(self, by_priority, errors):
        """Store a whole batch of the bus, every priority and its poison,
        in one transaction (``poison.ListenerDispatcher``'s ``on_batch``).
        """
        items = []
        for priority, messages in by_priority.items():
            items.extend(runner.envelopes_from_listener(messages, priority))
        items.extend(errors)
        return self.handle(items)

    def process(self, messages, priority):
        return self.handle(
            runner.envelopes_from_listener(messages, priority))

    def handle(self, items):
        """Store a batch; None to acknowledge it, or ``REQUEUE``."""
        # While the database is away, every batch waits here instead of
        # failing at once and being redelivered in a tight loop.
        self.backoff.wait(self.stopping)
        try:
            result = self.pipeline.process(items)
        except Exception as error:
            return self._failed(items, error)
        self.backoff.succeeded()
        self.stats.record(result)
        return None

    def _requeue(self, items):
        self.stats.add(requeued=len(items))
        self.backoff.wait(self.stopping)
        return REQUEUE

    def _failed(self, items, error):
        ids = [message_id_of(item) for item in items]
        if transient.is_transient(error):
            delay = self.backoff.failed()
            LOG.warning('Transient database error; batch of %d requeued '
                        '(%s), pausing %.1f s: %s', len(items),
                        _ids_text(ids), delay, _error_text(error))
            return self._requeue(items)
        if not self._suspects.any_seen(ids):
            self._suspects.remember(ids)
            delay = self.backoff.failed()
            remote = getattr(error, 'remote_traceback', None)
            if remote:
                LOG.error('Batch of %d failed; requeued once before '
                          'looking for the culprit (%s), pausing %.1f s; '
                          'in the store process:\n%s', len(items),
                          _ids_text(ids), delay, remote)
            else:
                LOG.error('Batch of %d failed; requeued once before '
                          'looking for the culprit (%s), pausing %.1f s',
                          len(items), _ids_text(ids), delay,
                          exc_info=(type(error), error, error.__traceback__))
            return self._requeue(items)
        return self._isolate(items, ids, error)

    def _isolate(self, items, ids, error):
        """Split a batch that failed again; reject only the culprits."""
        result = runner.BatchResult()
        culprits = []
        try:
            self._bisect(items, error, result, culprits)
        except _TransientDuringSplit as transient:
            delay = self.backoff.failed()
            LOG.warning('Transient database error while splitting a failed '
                        'batch of %d; requeued (%s), pausing %.1f s: %s',
                        len(items), _ids_text(ids), delay,
                        _error_text(transient.__cause__))
            self._count(result)
            return self._requeue(items)
        if len(items) > 1 and len(culprits) == len(items):
            # Every message fails on its own: the problem is not in the
            # messages (a broken handler or schema). Keep them queued.
            delay = self.backoff.failed()
            LOG.error('Every message of a batch of %d fails on its own; '
                      'requeued (%s), pausing %.1f s: %s', len(items),
                      _ids_text(ids), delay, _error_text(error))
            return self._requeue(items)
        rejected = []
        for item, culprit_error in culprits:
            reason = 'processing failed: %s' % _error_text(culprit_error)
            LOG.error('Message %s rejected after failing twice: %s',
                      message_id_of(item), reason)
            rejected.append(rejection.Rejected(
                reason,
                item.message if isinstance(item, rejection.Rejected)
                else item))
        try:
            result.add(self.pipeline.process(rejected))
        except Exception as record_error:
            delay = self.backoff.failed()
            LOG.error('Could not record %d rejected messages; batch of %d '
                      'requeued (%s), pausing %.1f s: %s', len(rejected),
                      len(items), _ids_text(ids), delay,
                      _error_text(record_error))
            self._count(result)
            return self._requeue(items)
        self._suspects.forget(ids)
        self.backoff.succeeded()
        self._count(result)
        return None

    def _count(self, result):
        # What the split committed is committed, whatever happens next.
        self.stats.add(stored=result.stored, duplicates=result.duplicates,
                       rejected=result.rejected, conflicts=result.conflicts,
                       undated=result.undated)

    def _bisect(self, items, error, result, culprits):
        if len(items) == 1:
            culprits.append((items[0], error))
            return
        middle = len(items) // 2
        for half in (items[:middle], items[middle:]):
            try:
                result.add(self.pipeline.process(half))
            except Exception as half_error:
                if transient.is_transient(half_error):
                    raise _TransientDuringSplit() from half_error
                self._bisect(half, half_error, result, culprits)


# The key oslo.messaging's producers stamp on every message
# (oslo_messaging._drivers.amqp.UNIQUE_ID), taken out again by the listener.
def listener_targets(conf):
    """The oslo.messaging targets: every exchange x every topic."""
    return [oslo_messaging.Target(topic=topic, exchange=exchange)
            for exchange in conf.listener.exchanges
            for topic in conf.listener.topics]


def bound_prefetch(conf):
    """Cap the unacknowledged messages per queue when the operator did not.

    oslo.messaging's default (0) lets RabbitMQ push a whole backlog into the
    worker's memory. Must run before the transport is created: the rabbit
    driver reads the option then.
    """
    for group, opts in messaging_opts.list_opts():
        if group == 'oslo_messaging_rabbit':
            conf.register_opts(opts, group=group)
            break
    else:
        return
    if not conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count:
        conf.set_default(
            'rabbit_qos_prefetch_count',
            conf.listener.batch_size * (conf.listener.concurrent_batches + 1),
            group='oslo_messaging_rabbit')


class ListenerService(service.Service):
    """One listener worker (oslo.service, threading backend).

    Everything that holds a socket or a thread (transport, server, database
    engine, heartbeat) is made in ``start()``: oslo.service forks the
    workers after building this object. ``stop()`` stops consuming, lets
    the in-flight batches commit and be acknowledged, writes the last
    heartbeat and releases the connections.
    """

    def __init__(self, conf):
        super().__init__()
        self.conf = conf
        self.stats = heartbeat.Stats()
        self.database = None
        self.server = None
        self.endpoint = None
        self.store = None
        self._transport = None
        self._heartbeat = None
        self._purge_thread = None
        self._rollup_thread = None
        self._partitions_thread = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._state_lock = threading.Lock()

    def start(self):
        super().start()
        conf = self.conf
        with self._state_lock:
            self._stopping.clear()
            self._stopped.clear()
            self.database = db_api.Database(conf)
            pipeline, handler_names = self._make_store()
            # The patches of oslo.messaging are installed here, in the
            # worker; a library that changed shape stops the worker.
            patches.install_rabbit_message_class(poison.capturing_class)
            patches.bound_ack_wait()
            bound_prefetch(conf)
            self._transport = oslo_messaging.get_notification_transport(conf)
            self.endpoint = BatchEndpoint(
                pipeline, self.stats,
                Backoff(conf.listener.retry_backoff_max), self._stopping)
            dispatcher = poison.ListenerDispatcher(
                [self.endpoint], self.endpoint.rejected,
                on_batch=self.endpoint.process_batch)
            targets = listener_targets(conf)
            self.server = notify_listener.BatchNotificationServer(
                self._transport, targets, dispatcher, allow_requeue=True,
                pool=conf.listener.pool,
                batch_size=int(conf.listener.batch_size),
                batch_timeout=int(conf.listener.batch_timeout))
            self.server.start(
                override_pool_size=conf.listener.concurrent_batches)
            if not patches.pass_redeliveries(self.server):
                LOG.debug('The messaging driver filters no redeliveries')
            LOG.info('Listening for notifications on exchanges %s x topics '
                     '%s, all priorities, pool %s (%d targets); batches of '
                     'up to %d every %d s, %d at a time; handlers %s',
                     ','.join(conf.listener.exchanges),
                     ','.join(conf.listener.topics),
                     conf.listener.pool or '<none>', len(targets),
                     conf.listener.batch_size, conf.listener.batch_timeout,
                     conf.listener.concurrent_batches,
                     ','.join(handler_names))
            self._heartbeat = heartbeat.Heartbeat(
                self.database, self.stats, conf.listener.heartbeat_interval,
                conf.host)
            self._heartbeat.start()
            self._partitions_thread = threading.Thread(
                target=self._partitions_loop, name='stacktach-ng-partitions',
                daemon=True)
            self._partitions_thread.start()
            if conf.retention.purge_interval > 0:
                self._purge_thread = threading.Thread(
                    target=self._purge_loop, name='stacktach-ng-purge',
                    daemon=True)
                self._purge_thread.start()
            if ('rollups' in handler_names
                    and conf.analysis.rollup_interval > 0):
                self._rollup_thread = threading.Thread(
                    target=self._rollup_loop, name='stacktach-ng-rollups',
                    daemon=True)
                self._rollup_thread.start()

    def stop(self, graceful=True):
        with self._state_lock:
            server, self.server = self.server, None
            if server is None:
                self._stopped.set()
                return
            LOG.info('Stopping: finishing the batches in flight')
            # In-flight batches stop waiting for the database: a batch that
            # cannot commit now is requeued for the next worker.
            self._stopping.set()
            try:
                server.stop()
                server.wait()
            finally:
                if self._purge_thread is not None:
                    self._purge_thread.join()
                    self._purge_thread = None
                if self._rollup_thread is not None:
                    self._rollup_thread.join()
                    self._rollup_thread = None
                if self._partitions_thread is not None:
                    self._partitions_thread.join()
                    self._partitions_thread = None
                if self._heartbeat is not None:
                    self._heartbeat.stop()
                    self._heartbeat = None
                if self.store is not None:
                    self.store.stop()
                    self.store = None
                if self._transport is not None:
                    self._transport.cleanup()
                    self._transport = None
                if self.database is not None:
                    self.database.dispose()
                super().stop(graceful)
                LOG.info('Stopped: %s', ', '.join(
                    '%s=%d' % item for item in self.stats.snapshot().items()))
                self._stopped.set()

    def _make_store(self):
        """What stores the batches, and the names of its handlers.

        Store processes start before the server, so that the first batch
        finds them ready.
        """
        count = self.conf.listener.store_processes
        if not count:
            pipeline = runner.Pipeline(self.conf, self.database)
            return pipeline, [handler.name for handler in pipeline.handlers]
        self.store = store_process.StoreProcesses(self.conf, count)
        self.store.start()
        LOG.info('%d store process(es) started', count)
        return self.store, self.store.handler_names

    def wait(self):
        self._stopped.wait()
        super().wait()

    def reset(self):
        # SIGHUP: oslo.service (threading backend) mutates the mutable
        # options in the parent and restarts the workers, which then
        # start() with the new values. Nothing to do in place.
        super().reset()

    def _partitions_loop(self):
        """Keep the day partitions ahead (PostgreSQL), now and every
        ``MAINTENANCE_INTERVAL``: every worker does, the first one to
        come creates them."""
        interval = partitions.MAINTENANCE_INTERVAL
        while True:
            try:
                partitions.keep_ahead(self.conf, self.database)
            except Exception:
                LOG.exception('Creating the partitions ahead failed; next '
                              'try in %d s', interval)
            if self._stopping.wait(interval):
                return

    def _rollup_loop(self):
        """Roll up the marked hours every ``[analysis] rollup_interval``
        (see ``analyses.rollups``): every worker does; two rolling one
        day at once cost a retry, never a wrong cell."""
        interval = self.conf.analysis.rollup_interval
        while not self._stopping.wait(interval):
            try:
                rollups.roll(self.database,
                             settle=self.conf.analysis.rollup_settle,
                             stopping=self._stopping)
            except Exception:
                LOG.exception('Rolling up the marked hours failed; next '
                              'try in %d s', interval)

    def _purge_loop(self):
        interval = self.conf.retention.purge_interval
        while not self._stopping.wait(interval):
            try:
                purge.run(self.conf, self.database)
            except Exception:
                LOG.exception('Periodic purge failed; next try in %d s',
                              interval)
