"""The broker restarts while the listener drains a queue: nothing is lost,
nothing is stored twice, and the listener carries on by itself.

A real restart of a real broker: a RabbitMQ node of this module's own (see
``broker``), stopped cleanly and booted again on the same database; never
the machine's RabbitMQ, which the other test files share.
"""

import signal
import time

import pytest

from tests.functional import services
from tests.functional.listener import broker
from tests.functional.listener import traffic

# Only durable queues survive a restart: RabbitMQ deletes the others, and
# the notifications in them, when the node stops. Producers declare the
# queues and consumers redeclare them, so both must agree on the settings:
# the publisher here reads the listener's own config file. Either setting
# works, and each is tested:
# * amqp_durable_queues: durable classic queues (and exchange); the
#   notifications in them survive because kombu publishes persistent
#   messages (delivery mode 2) unless told otherwise, and oslo.messaging
#   does not tell it otherwise;
# * rabbit_quorum_queue: quorum queues, always durable and persistent
#   (the type the admin guide recommends on a cluster).
QUEUE_SETTINGS = {
    'durable': {'amqp_durable_queues': 'true'},
    'quorum': {'rabbit_quorum_queue': 'true'},
}

COUNT = 2500


@pytest.fixture(scope='module')
def rabbit_node(tmp_path_factory):
    """A RabbitMQ node of this module; always stopped at the end."""
    what = 'A private RabbitMQ node'
    sbin = broker.find_sbin()
    if sbin is None:
        services.unavailable(what, 'no rabbitmq-server found (set '
                             'STACKTACH_TEST_RABBITMQ_SBIN to its directory)')
    node = broker.RabbitNode(tmp_path_factory.mktemp('rabbit-node'), sbin)
    try:
        node.start()
    except Exception as error:
        node.close()
        services.unavailable(what, str(error))
    try:
        yield node
    finally:
        node.close()


@pytest.fixture
def rabbit_url(rabbit_node):
    """The private node, up (a failed test may have left it down); the
    ``bus`` fixture builds on it."""
    rabbit_node.start()
    return rabbit_node.url


def _write_config(bus, queues, **listener_overrides):
    path = bus.write_config(**listener_overrides)
    with open(path, 'a') as config:
        config.write('\n[oslo_messaging_rabbit]\n')
        for name, value in QUEUE_SETTINGS[queues].items():
            config.write('%s = %s\n' % (name, value))
    return path


def _queues(node):
    """What the node says of its queues, for a failure's message."""
    try:
        listed = node.ctl('--quiet', 'list_queues', 'name', 'type',
                          'durable', 'messages_ready',
                          'messages_unacknowledged', 'consumers', timeout=30)
    except broker.NodeError as error:
        return str(error)
    return listed.stdout + listed.stderr


@pytest.mark.slow
@pytest.mark.parametrize('database_url,queues', [
    ('sqlite', 'durable'),
    ('postgresql', 'quorum'),
    ('mysql', 'durable'),
], indirect=['database_url'])
def test_broker_restart_while_draining(bus, rabbit_node, listener_processes,
                                       queues):
    started = time.monotonic()

    def phase(what):  # shown with a failure
        print('%6.2f s  %s' % (time.monotonic() - started, what))

    items = traffic.simulated(COUNT, seed=8)
    # Batches of 20, one at a time: the drain lasts long enough for the
    # broker to go down in the middle of it.
    config = _write_config(bus, queues, batch_size=20, concurrent_batches=1)
    publisher = traffic.Publisher(bus.rabbit_url, bus.exchange, bus.topic,
                                  config_files=[config])
    try:
        publisher.send_all(items)
    finally:
        publisher.close()
    assert traffic.queue_depth(bus.rabbit_url, bus.queues) == COUNT
    phase('%d published' % COUNT)

    process = listener_processes(config)
    assert bus.wait_stored(200, timeout=30) >= 200, process.log()
    phase('%d stored: stopping the broker' % bus.stored_count())
    old_pid = rabbit_node.os_pid()
    rabbit_node.stop(timeout=30)
    at_stop = bus.stored_count()
    phase('broker stopped, %d stored' % at_stop)
    assert at_stop < COUNT, 'the restart was not mid-stream'
    rabbit_node.start(timeout=30)
    # A new Erlang VM on the same database, not a paused one.
    assert rabbit_node.os_pid() != old_pid
    phase('broker started again')

    seen = bus.wait_stored(COUNT, timeout=40)
    phase('%d stored' % seen)
    log = process.log()
    assert process.process.poll() is None, 'the listener died:\n' + log
    assert seen == COUNT, '%d of %d stored (%d when the broker stopped); ' \
        'queues:\n%s\n%s' % (seen, COUNT, at_stop, _queues(rabbit_node), log)
    assert 'Reconnected to AMQP server' in log, log
    # What was stored but not acknowledged when the broker went down came
    # back: it must be found a duplicate and acknowledged like the rest,
    # not left unacknowledged (such messages return to the queue when the
    # listener disconnects, below).
    assert bus.wait_queues_empty() == 0, _queues(rabbit_node)
    process.signal(signal.SIGTERM)
    assert process.wait(30) == 0, process.log()
    phase('listener stopped')
    assert traffic.queue_depth(bus.rabbit_url, bus.queues) == 0, \
        _queues(rabbit_node)
    bus.assert_stored_exactly(items)
    # The worker's own account agrees: each notification stored once.
    beats = bus.heartbeats()
    assert sum(beat['stored'] for beat in beats) == COUNT, beats
    # And counted once in everything derived from it.
    bus.assert_derived_once(items)
