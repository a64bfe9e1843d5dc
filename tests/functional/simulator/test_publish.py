"""The simulator's transport sink against a real RabbitMQ.

Messages published with ``sinks.publish_messages`` are consumed back by a
plain oslo.messaging notification listener on the services' exchanges:
message ids, timestamps, event types, exchanges and contexts must survive
the trip, and a duplicate delivery must arrive as a second message with
the same id.
"""

import threading
import time
import uuid

import oslo_messaging
import pytest
from oslo_config import cfg

from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks
from tests.functional.listener import traffic

EXCHANGES = ('nova', 'glance', 'cinder', 'neutron')


class Collector:
    """A notification endpoint that records what it gets."""

    def __init__(self, exchange, expected):
        self.exchange = exchange
        self.expected = expected
        self.received = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    def _record(self, priority, ctxt, publisher_id, event_type, payload,
                metadata):
        with self.lock:
            self.received.append({
                'exchange': self.exchange, 'priority': priority,
                'ctxt': ctxt, 'publisher_id': publisher_id,
                'event_type': event_type, 'metadata': metadata})
            if self.expected and len(self.received) >= self.expected:
                self.done.set()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._record('info', ctxt, publisher_id, event_type, payload,
                     metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._record('error', ctxt, publisher_id, event_type, payload,
                     metadata)


def _conf():
    conf = cfg.ConfigOpts()
    conf([], project='stacktach-ng', default_config_files=[])
    return conf


class Consumer:
    """One plain notification listener per exchange, each with a pool of
    its own, so that a message arrives at the listener of the exchange it
    was published on (the default ``<topic>.<priority>`` queue is bound
    to every exchange)."""

    def __init__(self, rabbit_url, topic, expected_by_exchange):
        self.rabbit_url = rabbit_url
        self.topic = topic
        self.pools = []
        self.transport = oslo_messaging.get_notification_transport(
            _conf(), url=rabbit_url)
        self.listeners = []
        self.collectors = []
        for exchange, expected in expected_by_exchange.items():
            collector = Collector(exchange, expected)
            pool = '%s-%s' % (topic, exchange)
            self.pools.append(pool)
            self.listeners.append(oslo_messaging.get_notification_listener(
                self.transport,
                [oslo_messaging.Target(exchange=exchange, topic=topic)],
                [collector], pool=pool))
            self.collectors.append(collector)

    def __enter__(self):
        for listener in self.listeners:
            listener.start()
        return self

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        for collector in self.collectors:
            collector.done.wait(max(0.1, deadline - time.monotonic()))
        # A stray extra message (which would be a bug) is still in a
        # pool's queue (each pool is a queue of its name) or already
        # with its collector: wait for the queues to be drained, then
        # stop the listeners, which finish what they were handed.
        while (traffic.queue_depth(self.rabbit_url, self.pools)
               and time.monotonic() < deadline):
            time.sleep(0.1)
        self._stop()
        received = []
        for collector in self.collectors:
            with collector.lock:
                received.extend(collector.received)
        return received

    def __exit__(self, *exc):
        self._stop()
        self.transport.cleanup()

    def _stop(self):
        for listener in self.listeners:
            listener.stop()
            listener.wait()
        self.listeners = []


def _delete_queues(rabbit_url, topic):
    import kombu
    url = rabbit_url.replace('rabbit://', 'amqp://', 1)
    names = ['%s.%s' % (topic, priority) for priority in ('info', 'error')]
    names += ['%s-%s' % (topic, exchange) for exchange in EXCHANGES]
    with kombu.Connection(url) as connection:
        channel = connection.channel()
        for name in names:
            try:
                channel.queue_delete(name)
            except Exception:  # best effort cleanup
                channel = connection.channel()


@pytest.fixture
def topic(rabbit_url):
    name = 'stacktach-sim-%s' % uuid.uuid4().hex[:12]
    yield name
    _delete_queues(rabbit_url, name)


def test_published_messages_keep_ids_and_timestamps(rabbit_url, topic):
    bodies = engine.sample_messages(200, seed=7, fmt='both',
                                    failure_rate=0.2)
    by_exchange = {}
    for body in bodies:
        exchange = sinks.exchange_of(body)
        by_exchange[exchange] = by_exchange.get(exchange, 0) + 1
    assert set(by_exchange) <= set(EXCHANGES)
    assert len(by_exchange) >= 2

    with Consumer(rabbit_url, topic, by_exchange) as consumer:
        sent = sinks.publish_messages(rabbit_url, topic, bodies,
                                      conf=_conf())
        assert sent == 200
        received = consumer.wait()

    assert len(received) == 200
    expected = {body['message_id']: body for body in bodies}
    got = {item['metadata']['message_id']: item for item in received}
    assert set(got) == set(expected)
    for message_id, body in expected.items():
        item = got[message_id]
        assert item['metadata']['timestamp'] == body['timestamp']
        assert item['event_type'] == body['event_type']
        assert item['publisher_id'] == body['publisher_id']
        assert item['exchange'] == sinks.exchange_of(body)
        assert item['priority'] == body['priority'].lower()
        assert item['ctxt'].get('request_id') == body.get(
            '_context_request_id')


def test_duplicate_delivery_arrives_twice(rabbit_url, topic):
    bodies = engine.sample_messages(20, seed=11)
    twice = bodies[3]['message_id']
    counts = {}
    for body in bodies:
        exchange = sinks.exchange_of(body)
        counts[exchange] = counts.get(exchange, 0) + 1
    counts[sinks.exchange_of(bodies[3])] += 1
    with Consumer(rabbit_url, topic, counts) as consumer:
        sent = sinks.publish_messages(rabbit_url, topic, bodies,
                                      conf=_conf(), duplicates=[twice])
        assert sent == 21
        received = consumer.wait()
    ids = [item['metadata']['message_id'] for item in received]
    assert len(ids) == 21
    assert ids.count(twice) == 2
    assert len(set(ids)) == 20


def test_command_publishes(rabbit_url, topic, capsys):
    from stacktach_ng.cmd import manage

    counts = {}
    for body in engine.sample_messages(150, seed=42):
        exchange = sinks.exchange_of(body)
        counts[exchange] = counts.get(exchange, 0) + 1
    with Consumer(rabbit_url, topic, counts) as consumer:
        assert manage.main(['stacktach-ng-manage', 'simulate', '--count',
                            '150', '--seed', '42', '--transport-url',
                            rabbit_url, '--topic', topic]) == 0
        received = consumer.wait()
    assert len(received) == 150
    assert '150 messages' in capsys.readouterr().out
