"""A copy of every notification the cloud sends to the stacktach topic.

A batch notification listener of its own, on a queue of its own (the
``pool``), bound to the topic and exchanges that the devstack plugin gives
stacktach-ng's listener: it sees what stacktach-ng sees, all priorities,
without taking anything from it. Messages are kept in arrival order in
the listener-callback form that ``stacktach-ng-manage import`` reads
(``ctxt``, ``publisher_id``, ``event_type``, ``payload``, ``metadata``,
``priority``).
"""

import json
import threading
import time

import oslo_messaging
from oslo_config import cfg

from tests.functional.devstack import ini

POOL = 'stacktach-test-capture'
PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')


def listener_targets(plugin_conf):
    """(topics, exchanges) the plugin configured stacktach-ng's listener
    with."""
    parsed = ini.parse(plugin_conf)['listener']
    topics = parsed['topics'][-1].split(',')
    exchanges = parsed['exchanges'][-1].split(',')
    return topics, exchanges


class _Endpoint:

    def __init__(self, capture):
        for priority in PRIORITIES:
            setattr(self, priority, self._receiver(capture, priority))

    @staticmethod
    def _receiver(capture, priority):
        def receive(messages):
            capture.add(priority, messages)
        return receive


class Capture:

    def __init__(self, transport_url, topics, exchanges, pool=POOL):
        self.transport_url = transport_url
        self.topics = topics
        self.exchanges = exchanges
        self.pool = pool
        self.messages = []
        self._lock = threading.Lock()
        self._last_arrival = time.monotonic()
        self._listener = None
        self._transport = None

    def start(self):
        conf = cfg.ConfigOpts()
        conf([], project='stacktach-test-capture')
        self._transport = oslo_messaging.get_notification_transport(
            conf, url=self.transport_url)
        targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
                   for topic in self.topics for exchange in self.exchanges]
        self._listener = oslo_messaging.get_batch_notification_listener(
            self._transport, targets, [_Endpoint(self)], pool=self.pool,
            batch_size=50, batch_timeout=1)
        self._listener.start()
        return self

    def stop(self):
        if self._listener is not None:
            self._listener.stop()
            self._listener.wait()
            self._listener = None
        if self._transport is not None:
            self._transport.cleanup()
            self._transport = None

    def add(self, priority, messages):
        with self._lock:
            for message in messages:
                self.messages.append({
                    'priority': priority,
                    'ctxt': message['ctxt'],
                    'publisher_id': message['publisher_id'],
                    'event_type': message['event_type'],
                    'payload': message['payload'],
                    'metadata': message['metadata'],
                })
            self._last_arrival = time.monotonic()

    def count(self):
        with self._lock:
            return len(self.messages)

    def since(self, start):
        with self._lock:
            return list(self.messages[start:])

    def wait_quiet(self, quiet=5.0, timeout=120):
        """Wait until nothing arrived for ``quiet`` seconds, counted from
        the call at the earliest (what a step caused may still be on its
        way)."""
        called = time.monotonic()
        deadline = called + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = time.monotonic() - max(self._last_arrival, called)
            if idle >= quiet:
                return
            time.sleep(0.5)

    def wait_for(self, predicate, start=0, timeout=120):
        """Wait until a message captured since ``start`` matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.since(start):
                if predicate(message):
                    return message
            time.sleep(0.5)
        raise TimeoutError('no matching notification within %ds' % timeout)


def write_jsonl(path, messages):
    with open(path, 'w', encoding='utf-8') as f:
        for message in messages:
            f.write(json.dumps(message, sort_keys=True) + '\n')
