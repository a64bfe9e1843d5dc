"""Normalize and store batches in child processes of a listener worker.

A listener worker spends about as much CPU reading messages from the bus
(AMQP frames, JSON, oslo.messaging's dispatch) as it spends normalizing
them and running the handlers. In one process both share one interpreter
lock, so the worker drains the bus at about half the rate a do-nothing
consumer does. ``StoreProcesses`` moves the second half to child processes:
the worker only hands each batch over and waits for its commit, and keeps
reading while the children store.

The contract of ``Pipeline.process()`` is kept: ``process(items)`` returns
the ``BatchResult`` once the batch's transaction committed, or raises.
A database error raises ``StoreError``, whose ``transient`` tells the
listener whether to requeue and back off (see ``transient.is_transient``).
A child that dies (killed, out of memory) fails its batch as transient, so
the batch is requeued and redelivered, and is replaced by a new child.

Children are new interpreters (``python -m
stacktach_ng.listener.store_process FD``), not forks: the worker already runs
threads when it starts them, and a fork would copy their locks. They talk
to the worker over a socket pair and first receive a snapshot of the
worker's configuration (every registered option's value), so that options
set in code, not only in files, reach them. They ignore SIGINT, SIGTERM
and SIGHUP: the worker decides when they stop, after its last batch
committed, and a child whose worker died exits at once (its socket
closes).
"""

import gc
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import traceback
from multiprocessing import connection as mp_connection

import orjson
from oslo_log import log
from oslo_log import log as logging

from stacktach_ng import service
from stacktach_ng.common import service_backend
from stacktach_ng.db import api as db_api
from stacktach_ng.listener.transient import StoreError
from stacktach_ng.listener.transient import is_transient
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import runner

LOG = logging.getLogger(__name__)

# How long a child may take to import, connect and load the handlers.
START_TIMEOUT = 120.0
# How long a child may take to finish its batch when the worker stops.
STOP_TIMEOUT = 30.0

# Allocations (net, of container objects) between two collections of the
# youngest generation; Python's default is 700. See ``settle``.
GC_YOUNG_THRESHOLD = 10000

_OK = 'ok'
_ERROR = 'error'
_READY = 'ready'
_FAILED = 'failed'


# -- the wire between worker and child ----------------------------------

def encode_batch(items, received_at):
    """One batch as bytes: envelopes as JSON (cheaper than pickle on the
    worker's side, which is the busy one), poison as its three fields."""
    envelopes = []
    poison = []
    for item in items:
        if isinstance(item, rejection.Rejected):
            poison.append((item.reason, item.message, item.size))
        else:
            envelopes.append(item)
    try:
        body = orjson.dumps(envelopes)
        as_json = True
    except TypeError:
        # Not orjson's JSON (an integer beyond 64 bits, say): pickle
        # keeps it exactly. (orjson.JSONEncodeError is a TypeError.)
        body = envelopes
        as_json = False
    try:
        return pickle.dumps((received_at, as_json, body, poison),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        pass
    # A payload nested deeper than pickle can follow (how deep depends on
    # the stack the worker is at): reject those envelopes here, and keep
    # only the shallow fields of a poison message that deep, rather than
    # fail the batch on every redelivery and block the queue.
    kept = []
    for envelope in envelopes:
        if _picklable(envelope):
            kept.append(envelope)
        else:
            poison.append(('payload nested too deeply', _shallow(envelope),
                           None))
    poison = [(reason, message if _picklable(message) else _shallow(message),
               size) for reason, message, size in poison]
    return pickle.dumps((received_at, False, kept, poison),
                        protocol=pickle.HIGHEST_PROTOCOL)


def _picklable(value):
    try:
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        return False
    return True


def _shallow(message):
    """The identifying fields of a message nested too deeply to keep."""
    if not isinstance(message, dict):
        return None
    shallow = {key: message.get(key)
               for key in ('priority', 'publisher_id', 'event_type',
                           'message_id')}
    metadata = message.get('metadata')
    if isinstance(metadata, dict):
        shallow['metadata'] = {
            key: metadata.get(key) for key in ('message_id', 'timestamp')
            if not isinstance(metadata.get(key), (dict, list))}
    return {key: value for key, value in shallow.items()
            if not isinstance(value, (dict, list))
            or key == 'metadata'}


def decode_batch(data):
    """The ``(items, received_at)`` of ``encode_batch``'s bytes."""
    received_at, as_json, body, poison = pickle.loads(data)  # noqa: S301
    items = orjson.loads(body) if as_json else body
    items.extend(rejection.Rejected(reason, message, size)
                 for reason, message, size in poison)
    return items, received_at


def _error_reply(error):
    first_line = (str(error).strip().splitlines() or [''])[0]
    return (_ERROR, type(error).__name__, first_line,
            is_transient(error), traceback.format_exc())


# -- the child ------------------------------------------------------------

def settle():
    """Set up the garbage collector for a process that stores batches.

    A decoded batch is tens of thousands of dicts and lists that live
    until the batch is committed. With Python's default threshold (700
    allocations) the collector ran every 70 notifications or so, each
    time walking the live batch again and moving it to older
    generations, where later collections walked it once more; and each
    full collection walked everything the process had loaded (SQLAlchemy,
    oslo.config, the definitions). Nothing of that is garbage: freeing a
    batch is done by reference counting. So the objects alive once the
    process is set up are frozen out of the collector's sight, and the
    youngest generation is collected every ``GC_YOUNG_THRESHOLD`` net
    allocations instead, which a batch reaches only while it is being
    decoded: 7 to 0.3 microseconds per notification (store-cpu
    benchmark, gc.callbacks). Reference cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def child_main(connection):
    """Serve batches on ``connection`` until told to stop or orphaned."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    try:
        values = pickle.loads(connection.recv_bytes())  # noqa: S301
        conf = service.build_conf()
        conf([], project=service.PROJECT, default_config_files=[],
             default_config_dirs=[])
        service.restore_conf(conf, values)
        log.setup(conf, service.PROJECT)
        database = db_api.Database(conf)
        pipeline = runner.Pipeline(conf, database)
    except (EOFError, OSError):
        return
    except Exception as error:
        connection.send((_FAILED, '%s: %s' % (type(error).__name__, error)))
        return
    settle()
    connection.send((_READY, [handler.name for handler in pipeline.handlers]))
    try:
        while True:
            try:
                data = connection.recv_bytes()
            except (EOFError, OSError):
                return
            if not data:
                return
            try:
                items, received_at = decode_batch(data)
                reply = (_OK, pipeline.process(items, received_at))
            except Exception as error:
                reply = _error_reply(error)
            try:
                connection.send_bytes(pickle.dumps(
                    reply, protocol=pickle.HIGHEST_PROTOCOL))
            except (EOFError, OSError):
                # The worker is gone; it acknowledged nothing of this
                # batch, which comes back to another worker.
                return
    finally:
        database.dispose()


class _Child:
    """One store process and the worker's end of its socket."""

    def __init__(self, values, number):
        self._values = values
        self.number = number
        self.process = None
        self.connection = None
        self.handler_names = []

    def start(self):
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, '-m', __name__, str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        connection = mp_connection.Connection(ours.detach())
        try:
            self._handshake(process, connection)
        except BaseException:
            connection.close()
            _end(process, 0)
            raise
        self.process, self.connection = process, connection

    def _handshake(self, process, connection):
        connection.send_bytes(pickle.dumps(
            self._values, protocol=pickle.HIGHEST_PROTOCOL))
        if not connection.poll(START_TIMEOUT):
            raise RuntimeError('store process %d did not start within %d s'
                               % (self.number, START_TIMEOUT))
        try:
            status, detail = connection.recv()
        except (EOFError, OSError):
            raise RuntimeError('store process %d died while starting '
                               '(exit code %s)'
                               % (self.number, process.wait())) from None
        if status != _READY:
            raise RuntimeError('store process %d could not start: %s'
                               % (self.number, detail))
        self.handler_names = detail

    def call(self, items, received_at):
        data = encode_batch(items, received_at)
        try:
            self.connection.send_bytes(data)
            reply = pickle.loads(self.connection.recv_bytes())  # noqa: S301
        except (EOFError, OSError) as error:
            LOG.error('Store process %d died (exit code %s); starting a '
                      'new one', self.number, self.process.poll())
            self._replace()
            raise StoreError('the store process died (%s)' % error,
                             type_name='StoreProcessDied',
                             transient=True) from None
        if reply[0] == _OK:
            return reply[1]
        _status, type_name, text, transient, remote = reply
        raise StoreError(text, type_name=type_name, transient=transient,
                         remote_traceback=remote)

    def _replace(self):
        self.stop(timeout=0)
        try:
            self.start()
        except RuntimeError:
            # The next batch tries again; until then batches requeue.
            LOG.exception('Could not restart store process %d', self.number)

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def ensure_started(self):
        if not self.alive:
            self._replace()
            if not self.alive:
                raise StoreError('no store process is running',
                                 type_name='StoreProcessDied',
                                 transient=True)

    def stop(self, timeout=STOP_TIMEOUT):
        connection, self.connection = self.connection, None
        process, self.process = self.process, None
        if connection is not None:
            try:
                connection.send_bytes(b'')
            except (EOFError, OSError):
                pass
            connection.close()
        if process is not None:
            _end(process, timeout)


def _end(process, timeout):
    """Wait ``timeout`` seconds for a child to exit, then kill it."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class StoreProcesses:
    """``Pipeline.process()`` served by ``count`` child processes.

    Thread-safe: each call takes an idle child, so up to ``count`` batches
    are stored at once; more callers wait for a child.
    """

    def __init__(self, conf, count):
        if count < 1:
            raise ValueError('at least one store process is needed')
        self.conf = conf
        self.count = count
        self._children = []
        self._idle = queue.Queue()
        self._lock = threading.Lock()

    @property
    def handler_names(self):
        return self._children[0].handler_names if self._children else []

    def start(self):
        values = service.snapshot_conf(self.conf)
        with self._lock:
            try:
                for number in range(1, self.count + 1):
                    child = _Child(values, number)
                    child.start()
                    self._children.append(child)
                    self._idle.put(child)
            except Exception:
                self._stop_children()
                raise

    def process(self, items, received_at=None):
        child = self._idle.get()
        try:
            child.ensure_started()
            return child.call(items, received_at)
        finally:
            self._idle.put(child)

    def stop(self):
        """Stop the children once their current batch is done."""
        with self._lock:
            self._stop_children()

    def _stop_children(self):
        stopped = set()
        for _number in range(len(self._children)):
            # Wait for each child to be idle: its batch is committed then.
            try:
                child = self._idle.get(timeout=STOP_TIMEOUT)
            except queue.Empty:
                break
            child.stop()
            stopped.add(child.number)
        for child in self._children:
            if child.number not in stopped:
                LOG.warning('Store process %d still busy after %d s; '
                            'stopping it (its batch is requeued)',
                            child.number, STOP_TIMEOUT)
                child.stop(timeout=0)
        self._children = []


def main(argv=None):
    """The store process: ``python -m stacktach_ng.listener.store_process
    FD``, started by a listener worker with its end of a socket pair."""
    argv = sys.argv[1:] if argv is None else argv
    # An entry point of its own: nothing here uses oslo.service, but should
    # anything ask for its backend, it is threads, as in the listener.
    service_backend.use_threads()
    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write('usage: python -m stacktach_ng.listener.store_process'
                         ' FD (started by stacktach-ng-listener)\n')
        return 2
    child_main(mp_connection.Connection(int(argv[0])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
