"""Notifications for the listener tests, published on a real RabbitMQ.

``messages()`` makes varied notifications (legacy and versioned nova,
glance, cinder, neutron; every priority) with known message ids.
``Publisher`` sends them the way an OpenStack service does: through an
oslo.messaging notification transport with the ``messagingv2`` envelope
(each send stamps a fresh ``_unique_id``, as a Notifier does). ``publish_raw``
puts arbitrary bytes on a queue with kombu, for bodies no oslo.messaging
producer would send.
"""

import datetime
import random
import threading
import time
import uuid

import kombu
import oslo_messaging
from oslo_config import cfg

from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')


def _legacy_instance(rng, event_type, host):
    instance = str(uuid.UUID(int=rng.getrandbits(128)))
    return 'compute.%s' % host, event_type, {
        'instance_id': instance,
        'tenant_id': uuid.UUID(int=rng.getrandbits(128)).hex,
        'user_id': uuid.UUID(int=rng.getrandbits(128)).hex,
        'state': rng.choice(['building', 'active', 'deleted']),
        'old_state': 'building',
        'new_task_state': rng.choice([None, 'spawning', 'networking']),
        'old_task_state': None,
        'instance_type': 'm1.small',
        'memory_mb': 2048, 'vcpus': 1, 'root_gb': 20,
        'launched_at': '2026-01-02T03:04:05.000000',
    }


def _versioned_instance(rng, event_type, host):
    return 'nova-compute:%s' % host, event_type, {
        'nova_object.name': 'InstanceUpdatePayload',
        'nova_object.namespace': 'nova',
        'nova_object.version': '2.1',
        'nova_object.data': {
            'uuid': str(uuid.UUID(int=rng.getrandbits(128))),
            'state': 'active', 'task_state': None, 'power_state': 'running',
            'tenant_id': uuid.UUID(int=rng.getrandbits(128)).hex,
            'request_id': 'req-%s' % uuid.UUID(int=rng.getrandbits(128)),
        },
    }


def _image(rng, event_type, host):
    return 'image.localhost', event_type, {
        'id': str(uuid.UUID(int=rng.getrandbits(128))),
        'size': rng.randint(1, 10 ** 9), 'status': 'active',
        'owner': uuid.UUID(int=rng.getrandbits(128)).hex,
    }


def _volume(rng, event_type, host):
    return 'volume.%s@lvm' % host, event_type, {
        'volume_id': str(uuid.UUID(int=rng.getrandbits(128))),
        'size': rng.randint(1, 100), 'status': 'in-use',
        'tenant_id': uuid.UUID(int=rng.getrandbits(128)).hex,
    }


def _port(rng, event_type, host):
    return 'network.%s' % host, event_type, {
        'port': {'id': str(uuid.UUID(int=rng.getrandbits(128))),
                 'network_id': str(uuid.UUID(int=rng.getrandbits(128))),
                 'status': 'ACTIVE'},
    }


# (weight, priority, event type, payload maker): mostly instance updates,
# as in real traffic, and every priority at least now and then.
_KINDS = (
    (40, 'info', 'compute.instance.update', _legacy_instance),
    (8, 'info', 'compute.instance.create.start', _legacy_instance),
    (8, 'info', 'compute.instance.create.end', _legacy_instance),
    (8, 'info', 'instance.update', _versioned_instance),
    (6, 'info', 'image.upload', _image),
    (6, 'info', 'volume.attach.end', _volume),
    (6, 'info', 'port.create.end', _port),
    (4, 'error', 'compute.instance.create.error', _legacy_instance),
    (3, 'warn', 'compute.instance.shutdown.retry', _legacy_instance),
    (3, 'audit', 'compute.instance.exists', _legacy_instance),
    (2, 'critical', 'compute.instance.crash', _legacy_instance),
    (2, 'debug', 'volume.usage', _volume),
    (4, 'sample', 'image.size', _image),
)


def messages(count, seed=0):
    """``count`` notifications as (priority, ctxt, message) tuples."""
    rng = random.Random(seed)
    weights = [kind[0] for kind in _KINDS]
    out = []
    base = time.time()
    for number in range(count):
        _weight, priority, event_type, maker = rng.choices(
            _KINDS, weights)[0]
        host = 'host%d.example.org' % rng.randint(1, 5)
        publisher_id, event_type, payload = maker(rng, event_type, host)
        request_id = 'req-%s' % uuid.UUID(int=rng.getrandbits(128))
        ctxt = {'request_id': request_id, 'global_request_id': None,
                'project_id': payload.get('tenant_id'),
                'user_id': payload.get('user_id'), 'is_admin': False}
        out.append((priority, ctxt, make_message(
            event_type, payload, priority, publisher_id,
            message_id=str(uuid.UUID(int=rng.getrandbits(128))),
            timestamp=time.strftime(
                '%Y-%m-%d %H:%M:%S', time.gmtime(base + number / 100.0))
            + '.%06d' % rng.randint(0, 999999))))
    return out


def simulated(count, seed):
    """``count`` notifications of a simulated cloud (nova in both
    formats, glance, cinder, neutron; boots, resizes, deletes, failures,
    stuck operations, usage audits) as (priority, ctxt, message) tuples:
    traffic the analysis and usage handlers derive operations, requests,
    errors, launches and exists from."""
    items = []
    for body in engine.sample_messages(
            count=count, seed=seed, fmt='both', failure_rate=0.2,
            stuck_rate=0.05, start=datetime.datetime(2026, 1, 5)):
        ctxt, message = sinks.split_body(body)
        items.append((message['priority'].lower(), ctxt, message))
    return items


def with_copies(items, share, seed):
    """``items`` with a ``share`` of them sent again, each copy somewhere
    after its original (a producer's retry, a redelivery): the same
    message id, which must be stored and counted once."""
    rng = random.Random(seed)
    out = list(items)
    for index in sorted(rng.sample(range(len(items)),
                                   int(len(items) * share)), reverse=True):
        out.insert(rng.randint(index + 1, len(out)), items[index])
    return out


def listener_form(priority, ctxt, message):
    """What a notification listener's callback receives of an item (the
    form ``stacktach_ng.pipeline.forms`` reads)."""
    return {'priority': priority, 'ctxt': ctxt,
            'publisher_id': message['publisher_id'],
            'event_type': message['event_type'],
            'payload': message['payload'],
            'metadata': {'message_id': message['message_id'],
                         'timestamp': message['timestamp']}}


def make_message(event_type, payload, priority='info',
                 publisher_id='compute.host1', message_id=None,
                 timestamp='2026-01-02 03:04:05.123456'):
    """A notification body as oslo.messaging's Notifier builds it."""
    return {'message_id': message_id or str(uuid.uuid4()),
            'publisher_id': publisher_id, 'event_type': event_type,
            'priority': priority.upper(), 'payload': payload,
            'timestamp': timestamp}


def ids_of(items):
    return {message['message_id'] for _priority, _ctxt, message in items}


class Publisher:
    """Sends notifications to ``exchange`` on ``topic`` with oslo.messaging.

    This is the path of ``Notifier(driver='messagingv2')``: the message
    goes through ``transport._send_notification`` (which declares the
    ``<topic>.<priority>`` queue, as producers do), with the version 2.0
    envelope.
    """

    def __init__(self, rabbit_url, exchange, topic, config_files=()):
        # ``config_files``: the producer's own oslo.messaging settings
        # (e.g. ``[oslo_messaging_rabbit]`` queue durability, on which
        # producers and consumers must agree).
        self.conf = cfg.ConfigOpts()
        self.conf([], project='stacktach-ng-tests',
                  default_config_files=list(config_files))
        self.transport = oslo_messaging.get_notification_transport(
            self.conf, url=rabbit_url)
        self.exchange = exchange
        self.topic = topic
        self.sent = 0

    def send(self, priority, ctxt, message, routing_priority=None):
        target = oslo_messaging.Target(
            topic='%s.%s' % (self.topic, routing_priority or priority),
            exchange=self.exchange)
        self.transport._send_notification(target, ctxt, message,
                                          version=2.0, retry=5)
        self.sent += 1

    def send_all(self, items, rate=None):
        start = time.monotonic()
        for number, (priority, ctxt, message) in enumerate(items):
            self.send(priority, ctxt, message)
            if rate:
                late = start + (number + 1) / rate - time.monotonic()
                if late > 0:
                    time.sleep(late)

    def close(self):
        self.transport.cleanup()


class BackgroundPublisher(threading.Thread):
    """Publishes ``items`` at ``rate`` per second while a test does harm."""

    def __init__(self, publisher, items, rate):
        super().__init__(daemon=True)
        self.publisher = publisher
        self.items = items
        self.rate = rate
        self.error = None

    def run(self):
        try:
            self.publisher.send_all(self.items, rate=self.rate)
        except Exception as error:  # reported by finish()
            self.error = error

    def finish(self, timeout=120):
        self.join(timeout)
        assert not self.is_alive(), 'publisher did not finish'
        if self.error is not None:
            raise self.error


def kombu_url(rabbit_url):
    return 'amqp://' + rabbit_url.split('://', 1)[1]


def publish_raw(rabbit_url, exchange, routing_key, body,
                content_type='application/json'):
    """Put raw bytes on ``exchange`` with kombu, bypassing oslo.messaging."""
    with kombu.Connection(kombu_url(rabbit_url)) as connection:
        producer = connection.Producer()
        producer.publish(body, exchange=exchange, routing_key=routing_key,
                         content_type=content_type, content_encoding='utf-8',
                         retry=True)


def queue_depth(rabbit_url, queue_names):
    """Messages ready in the named queues (absent queues count 0)."""
    total = 0
    with kombu.Connection(kombu_url(rabbit_url)) as connection:
        for name in queue_names:
            channel = connection.channel()
            try:
                total += channel.queue_declare(
                    queue=name, passive=True).message_count
            except Exception:  # noqa: S110 - a queue never declared
                pass
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: S110
                    pass
    return total


def delete_queues(rabbit_url, exchange, queue_names):
    with kombu.Connection(kombu_url(rabbit_url)) as connection:
        for name in queue_names:
            channel = connection.channel()
            try:
                channel.queue_delete(queue=name)
            except Exception:  # noqa: S110 - already gone
                pass
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: S110
                    pass
        channel = connection.channel()
        try:
            channel.exchange_delete(exchange=exchange)
        except Exception:  # noqa: S110
            pass
