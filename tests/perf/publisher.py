"""Publish simulated notifications as the services do: an oslo.messaging
``Notifier`` with the ``messagingv2`` driver, one per service exchange.

::

    python -m tests.perf.publisher CONFIG_FILE TOPIC EXCHANGES SOURCE
        [--share K/N] [--limit COUNT]
        [--max-depth DEPTH --queues Q1,Q2,... --transport-url URL]

``EXCHANGES`` maps each service to its exchange (``nova=x,glance=y``):
a service publishes on its ``control_exchange``, so each service gets a
transport of its own with that exchange. The transport options (the queue
type: ``amqp_durable_queues`` or ``rabbit_quorum_queue``) come from
``CONFIG_FILE``, the consumers' own file, so that the queues the
``Notifier`` declares match theirs. Messages are persistent and every
publish waits for the broker's confirmation, as oslo.messaging's rabbit
driver always does.

``SOURCE`` is a workload file (JSON lines ``{"service", "body"}`` written
by ``write_workload``) or ``simulate:COUNT:SEED:FORMAT`` (generated here,
one message at a time, for a soak too long to hold in memory). With
``--share K/N`` only the messages whose index is K modulo N are sent (N
publishers in parallel). With ``--max-depth`` the publisher pauses while
``--queues`` hold more than DEPTH ready messages, so that a long soak never
piles its whole traffic up in the broker.

The ``Notifier`` stamps each message with a new message id and the time of
sending, as a service does: the simulated ones are not kept.
"""

# An entry point of its own (python -m): oslo.service's threading backend
# first, before oslo.messaging's imports select one.
from stacktach_ng.common import service_backend

service_backend.use_threads()

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import orjson  # noqa: E402
import oslo_messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_messaging import opts as messaging_opts  # noqa: E402

from stacktach_ng.simulator import engine  # noqa: E402
from stacktach_ng.simulator import sinks  # noqa: E402
from tests.perf import broker  # noqa: E402

# How often (messages) a paced publisher looks at the queue depth.
_DEPTH_EVERY = 500
_DEPTH_POLL = 0.5


def write_workload(path, count, seed=42, fmt='mixed'):
    """Write ``count`` simulated messages as JSON lines; return the count
    per service exchange."""
    per_service = {}
    with open(path, 'wb') as output:
        for service, body in simulated(count, seed, fmt):
            output.write(orjson.dumps({'service': service, 'body': body}))
            output.write(b'\n')
            per_service[service] = per_service.get(service, 0) + 1
    return per_service


def simulated(count, seed=42, fmt='mixed'):
    """(service, wire v1 body) of ``count`` simulated messages."""
    simulator = engine.Simulator(seed=seed, fmt=fmt)
    for body in simulator.messages(count=count):
        yield sinks.exchange_of(body), body


def read_workload(path, limit=None):
    with open(path, 'rb') as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                return
            item = orjson.loads(line)
            yield item['service'], item['body']


def source_of(text, limit=None):
    """The (service, body) iterator of a SOURCE argument (its first
    ``limit`` messages)."""
    if text.startswith('simulate:'):
        _word, count, seed, fmt = text.split(':')
        count = int(count) if limit is None else min(int(count), limit)
        return simulated(count, int(seed), fmt)
    return read_workload(text, limit)


class Publisher:
    """A ``Notifier`` per service exchange, as each service has its own."""

    def __init__(self, config_file, topic, exchanges):
        self._transports = []
        self._notifiers = {}
        self._prepared = {}
        for service, exchange in exchanges.items():
            conf = cfg.ConfigOpts()
            for group, opts in messaging_opts.list_opts():
                if group in (None, 'DEFAULT'):
                    conf.register_opts(opts)
            conf(['--config-file', config_file], project='stacktach-ng',
                 default_config_files=[])
            conf.set_override('control_exchange', exchange)
            transport = oslo_messaging.get_notification_transport(conf)
            self._transports.append(transport)
            self._notifiers[service] = oslo_messaging.Notifier(
                transport, driver='messagingv2', topics=[topic])

    def publish(self, service, body):
        ctxt, message = sinks.split_body(body)
        key = (service, message.get('publisher_id'))
        notifier = self._prepared.get(key)
        if notifier is None:
            notifier = self._notifiers[service].prepare(
                publisher_id=message.get('publisher_id'))
            self._prepared[key] = notifier
        priority = str(message.get('priority') or 'INFO').lower()
        send = getattr(notifier, priority)
        send(ctxt, message.get('event_type'), message.get('payload'))

    def close(self):
        for transport in self._transports:
            transport.cleanup()


def publish(publisher, items, share=(0, 1), pace=None):
    """Publish this share of ``items``; return how many were sent.
    ``pace`` is called every ``_DEPTH_EVERY`` messages."""
    number, of = share
    sent = 0
    for index, (service, body) in enumerate(items):
        if index % of != number:
            continue
        publisher.publish(service, body)
        sent += 1
        if pace is not None and sent % _DEPTH_EVERY == 0:
            pace()
    return sent


def _pacer(transport_url, names, max_depth):
    def pace():
        while broker.depth(transport_url, names) > max_depth:
            time.sleep(_DEPTH_POLL)
    return pace


def _share(text):
    number, of = (int(part) for part in text.split('/'))
    if not 0 <= number < of:
        raise argparse.ArgumentTypeError('K/N with 0 <= K < N: %r' % text)
    return number, of


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.perf.publisher')
    parser.add_argument('config_file')
    parser.add_argument('topic')
    parser.add_argument('exchanges', help='service=exchange,...')
    parser.add_argument('source')
    parser.add_argument('--share', type=_share, default=(0, 1))
    parser.add_argument('--limit', type=int)
    parser.add_argument('--max-depth', type=int)
    parser.add_argument('--queues', default='')
    parser.add_argument('--transport-url')
    args = parser.parse_args(argv)
    exchanges = dict(item.split('=', 1) for item in args.exchanges.split(','))
    pace = None
    if args.max_depth:
        pace = _pacer(args.transport_url, args.queues.split(','),
                      args.max_depth)
    publisher = Publisher(args.config_file, args.topic, exchanges)
    try:
        sent = publish(publisher, source_of(args.source, args.limit),
                       args.share, pace)
    finally:
        publisher.close()
    sys.stdout.write('%d\n' % sent)
    return 0


if __name__ == '__main__':
    sys.exit(main())
