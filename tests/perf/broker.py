"""The RabbitMQ queue types the ingest benchmark runs on, and the broker
calls it makes besides oslo.messaging's (queue depth, clean-up).

``durable`` and ``quorum`` are what the scaling guide tells operators to
deploy (a message survives a broker restart); ``transient`` is
oslo.messaging's default, kept for comparison. Producers and consumers
must agree on the type, so the same options go into every process of a
measurement: the consumers, the ``Notifier`` that fills the queues and the
peer.
"""

import kombu

TYPES = ('durable', 'quorum', 'transient')
DEFAULT = 'durable'

# [oslo_messaging_rabbit] options of each type. Quorum queues are always
# durable (oslo.messaging ignores amqp_durable_queues with them); the
# delivery limit is the one the scaling guide recommends.
_RABBIT_OPTIONS = {
    'durable': {'amqp_durable_queues': True},
    'quorum': {'rabbit_quorum_queue': True,
               'rabbit_quorum_delivery_limit': 20},
    'transient': {'amqp_durable_queues': False},
}


def rabbit_options(queue_type):
    """The ``[oslo_messaging_rabbit]`` options of a queue type."""
    try:
        return dict(_RABBIT_OPTIONS[queue_type])
    except KeyError:
        raise ValueError('unknown queue type %r (one of %s)'
                         % (queue_type, ', '.join(TYPES))) from None


def kombu_url(transport_url):
    """The kombu URL of a ``rabbit://`` transport URL."""
    scheme, rest = transport_url.split('://', 1)
    if scheme not in ('rabbit', 'amqp'):
        raise ValueError('the ingest benchmark needs a RabbitMQ transport '
                         'URL (rabbit://...), not %r' % transport_url)
    return 'amqp://' + rest


def depth(transport_url, names):
    """Messages ready in the queues ``names`` (0 for one not declared)."""
    with kombu.Connection(kombu_url(transport_url)) as connection:
        return sum(_on_own_channel(connection, lambda channel: (
            channel.queue_declare(queue=name, passive=True).message_count))
            or 0 for name in names)


def delete(transport_url, queue_names, exchange_names):
    """Delete the queues and exchanges (those already gone are skipped)."""
    with kombu.Connection(kombu_url(transport_url)) as connection:
        for name in queue_names:
            _on_own_channel(connection,
                            lambda channel: channel.queue_delete(queue=name))
        for name in exchange_names:
            _on_own_channel(connection, lambda channel: (
                channel.exchange_delete(exchange=name)))


def _on_own_channel(connection, call):
    """``call(channel)`` on a channel of its own, or None when the broker
    refused it: a refusal (a queue not declared, already deleted) closes
    the channel, so each call gets a fresh one."""
    channel = connection.channel()
    try:
        return call(channel)
    except Exception:  # noqa: S110 - refused: absent
        return None
    finally:
        _close_quietly(channel)


def _close_quietly(channel):
    try:
        channel.close()
    except Exception:  # noqa: S110 - the connection closes it anyway
        pass
