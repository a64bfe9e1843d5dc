"""Listeners on two hosts, a three-node RabbitMQ cluster, PostgreSQL: the
node that leads the queue stops and a host is killed while 100,000
notifications are published, and nothing is lost or stored twice.

The topology (see ``doc/source/admin/scaling.rst``):

* a RabbitMQ cluster of three nodes of the test's own (``rabbit_cluster``),
  the listener's queues quorum queues with a delivery limit;
* two listener hosts, each a network namespace on a bridge of the test's
  (``network``), each running ``stacktach-ng-listener`` with a transport
  URL that lists the three nodes;
* PostgreSQL, the machine's server, a fresh database, reached by the hosts
  through a forwarder on the bridge;
* an oslo.messaging ``Notifier`` (``messagingv2``) in the test process,
  with a transport URL listing the three nodes, publishing as fast as it
  can.

While it publishes: the node that leads the ``info`` queue (nearly all
the traffic) is stopped, then started again; listener host B is lost
(kill -9 of every process in its namespace), then started again. At the
end every notification published is stored exactly once, the derived
tables equal those of the same notifications stored without any fault,
and the listeners that were connected to the stopped node reconnected by
themselves. The per-host throughput and the pauses are printed (``-rP``):
the scaling guide quotes them.
"""

import collections
import os
import signal
import threading
import time
import uuid

import oslo_messaging
import pytest
import sqlalchemy as sa
from oslo_config import cfg
from oslo_messaging.notify import _impl_test as notify_capture

from stacktach_ng.analyses import rollups
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from tests import base
from tests.functional import services
from tests.functional.analyses import fixtures as analyses
from tests.functional.listener import conftest as listener_fixtures
from tests.functional.listener import traffic

COUNT = int(os.environ.get('STACKTACH_TEST_CLUSTER_COUNT', '100000'))
DELIVERY_LIMIT = 20
QUEUE_SETTINGS = {'rabbit_quorum_queue': 'true',
                  'rabbit_quorum_delivery_limit': str(DELIVERY_LIMIT)}
NOTIFICATIONS = models.Notification.__table__
HEARTBEATS = models.ListenerHeartbeat.__table__
# How long the whole drain may take on a loaded two-core machine.
DRAIN_TIMEOUT = 900
# Progress awaited between two faults: the stream goes on between them.
STEP = max(COUNT // 50, 100)


def _write(path, sections):
    with open(path, 'w') as stream:
        for section, options in sections.items():
            stream.write('[%s]\n' % section)
            for name, value in options.items():
                # A list: a multi-valued option, one line per value.
                for one in value if isinstance(value, list) else [value]:
                    stream.write('%s = %s\n' % (name, one))
            stream.write('\n')
    return str(path)


class Deployment:
    """The configuration files of the publisher and of each host."""

    def __init__(self, tmp_path, net, cluster, database):
        suffix = uuid.uuid4().hex[:10]
        self.tmp_path = tmp_path
        self.exchange = 'stng-cluster-%s' % suffix
        self.topic = 'stng-cluster-%s' % suffix
        self.net = net
        self.cluster = cluster
        self.database = database
        # As a service is configured to notify stacktach-ng, plus the
        # ``test`` driver (see NotifierPublisher). retry = -1: a send
        # waits for the cluster however long it fails over.
        self.publisher_config = _write(tmp_path / 'publisher.conf', {
            'DEFAULT': {'control_exchange': self.exchange},
            'oslo_messaging_notifications': {
                'driver': ['messagingv2', 'test'], 'topics': self.topic,
                'retry': -1},
            'oslo_messaging_rabbit': QUEUE_SETTINGS,
        })

    def listener_config(self, host):
        return _write(self.tmp_path / ('%s.conf' % host.name), {
            'DEFAULT': {'transport_url': self.cluster.url(self.net.address),
                        'host': host.name,
                        'graceful_shutdown_timeout': 30},
            'database': {'connection': self.database.host_url},
            'listener': {'exchanges': self.exchange, 'topics': self.topic,
                         'batch_timeout': 1,
                         'heartbeat_interval': 1, 'store_processes': 1},
            'oslo_messaging_rabbit': QUEUE_SETTINGS,
        })

    @property
    def queues(self):
        return ['%s.%s' % (self.topic, priority)
                for priority in traffic.PRIORITIES]


class NotifierPublisher(threading.Thread):
    """Publishes ``items`` with an oslo.messaging ``Notifier`` as fast as
    it can. Its second driver, oslo.messaging's ``test`` driver, keeps
    every message the Notifier built (its message id, timestamp, context):
    what was sent, to compare with what was stored."""

    def __init__(self, deployment, items):
        super().__init__(daemon=True)
        conf = cfg.ConfigOpts()
        conf([], project='stacktach-ng-tests',
             default_config_files=[deployment.publisher_config])
        self.transport = oslo_messaging.get_notification_transport(
            conf, url=deployment.cluster.url())
        self.notifier = oslo_messaging.Notifier(self.transport)
        self.items = items
        self.sent = 0
        self.error = None
        self.stopping = False
        del notify_capture.NOTIFICATIONS[:]

    def run(self):
        prepared = {}
        try:
            for priority, ctxt, message in self.items:
                if self.stopping:
                    return
                publisher_id = message['publisher_id']
                notifier = prepared.get(publisher_id)
                if notifier is None:
                    notifier = prepared[publisher_id] = self.notifier.prepare(
                        publisher_id=publisher_id)
                getattr(notifier, priority)(ctxt, message['event_type'],
                                            message['payload'])
                self.sent += 1
        except Exception as error:  # reported by finish()
            self.error = error

    def finish(self, timeout):
        self.join(timeout)
        assert not self.is_alive(), 'the publisher did not finish'
        if self.error is not None:
            raise self.error

    def published(self):
        """What the Notifier sent, in the listener-callback form."""
        return [{'priority': priority, 'ctxt': ctxt,
                 'publisher_id': message['publisher_id'],
                 'event_type': message['event_type'],
                 'payload': message['payload'],
                 'metadata': {'message_id': message['message_id'],
                              'timestamp': message['timestamp']}}
                for ctxt, message, priority, _retry
                in notify_capture.NOTIFICATIONS]

    def close(self):
        self.transport.cleanup()


class Monitor(threading.Thread):
    """Samples, every half second, the notifications published and
    stored and each host's counters (``listener_heartbeats``)."""

    def __init__(self, engine, publisher):
        super().__init__(daemon=True)
        self.engine = engine
        self.publisher = publisher
        self.samples = []
        self.events = []
        self._done = threading.Event()
        self.started = time.monotonic()

    def event(self, what):
        moment = time.monotonic() - self.started
        self.events.append((moment, what))
        print('%7.1f s  %s' % (moment, what), flush=True)
        return moment

    def run(self):
        while not self._done.wait(0.5):
            try:
                self.samples.append(self.sample())
            except sa.exc.DBAPIError:  # the next sample will do
                continue

    def sample(self):
        with self.engine.connect() as connection:
            stored = connection.execute(sa.select(sa.func.count()).select_from(
                NOTIFICATIONS)).scalar()
            per_host = collections.Counter()
            for row in connection.execute(sa.select(
                    HEARTBEATS.c.host, HEARTBEATS.c.stored)):
                per_host[row.host] += row.stored
        return {'t': time.monotonic() - self.started, 'stored': stored,
                'sent': self.publisher.sent, 'hosts': dict(per_host)}

    def stored(self):
        return self.sample()['stored']

    def wait(self, condition, timeout, what, listeners=()):
        """Poll ``condition``; fail at once when one of ``listeners`` (the
        processes that should be running) has died."""
        deadline = time.monotonic() + timeout
        while not condition():
            for process in listeners:
                assert process.process.poll() is None, \
                    'a listener died:\n%s' % process.log()
            if time.monotonic() > deadline:
                pytest.fail('%s: not within %d s (%s)' % (
                    what, timeout, self.samples[-1:]))
            time.sleep(0.2)

    def stop(self):
        self._done.set()
        self.join(10)

    def longest_stall(self, key, since, window=60.0):
        """The longest time ``key`` did not grow, among the intervals
        that end after ``since`` and start before ``since + window``."""
        longest = 0.0
        last_change = None
        previous = None
        for sample in self.samples:
            if previous is not None and sample[key] > previous[key]:
                if last_change is not None and sample['t'] >= since and (
                        last_change <= since + window):
                    longest = max(longest, sample['t'] - last_change)
                last_change = sample['t']
            previous = sample
        return longest


@pytest.mark.slow
def test_cluster_failover_and_host_loss(hosts_and_cluster, tmp_path):
    net, cluster, database = hosts_and_cluster
    deployment = Deployment(tmp_path, net, cluster, database)
    engine = sa.create_engine(database.url, poolclass=sa.pool.NullPool)
    items = traffic.messages(COUNT, seed=16)
    publisher = NotifierPublisher(deployment, items)
    monitor = Monitor(engine, publisher)
    listeners = {}

    def start_listener(name):
        host = net.hosts[name]
        listeners[name] = listener_fixtures.ListenerProcess(
            deployment.listener_config(host),
            str(tmp_path / ('%s-%d.log' % (name, len(monitor.events)))),
            host=host)
        return listeners[name]

    def running():
        return [process for process in listeners.values()
                if process.process.poll() is None]

    def wait_sent(fraction):
        monitor.wait(lambda: publisher.sent >= COUNT * fraction
                     or not publisher.is_alive(), DRAIN_TIMEOUT,
                     'publishing', running())

    def wait_stored(since, what):
        target = min(since + STEP, COUNT)
        monitor.wait(lambda: monitor.stored() >= target, 300, what,
                     running())

    try:
        for name in net.hosts:
            start_listener(name)
        publisher.start()
        monitor.start()
        monitor.wait(lambda: monitor.stored() >= STEP, 300,
                     'the first notifications stored',
                     listeners.values())

        # The queues are quorum queues with the delivery limit, on every
        # node of the cluster.
        queues = {row['name']: row for row in cluster.queues(
            'name', 'type', 'arguments', 'members')
            if row['name'] in deployment.queues}
        assert queues, 'no queue declared'
        for row in queues.values():
            assert row['type'] == 'quorum', row
            assert "x-delivery-limit" in row['arguments'], row
            assert str(DELIVERY_LIMIT) in row['arguments'], row
            assert all(node.name in row['members']
                       for node in cluster.nodes), row

        # 1. While the publisher sends, the node that leads the info
        # queue stops.
        wait_sent(0.2)
        info_queue = '%s.info' % deployment.topic
        leader = cluster.leader_of(info_queue)
        # The hosts connected to that node (their sockets, as ``ss`` shows
        # them in each namespace), and where their logs are now.
        reconnecting = {name: len(listeners[name].log())
                        for name, host in net.hosts.items()
                        if leader.port in host.peer_ports(net.address)}
        assert publisher.is_alive(), 'the publisher is done already'
        t_stop = monitor.event('stopping %s, the leader (hosts connected '
                               'to it: %s)' % (leader.name,
                                               sorted(reconnecting)))
        leader.stop(timeout=60)
        at_stop = monitor.stored()
        monitor.event('leader stopped, %d stored' % at_stop)
        cluster.wait_members(2)
        new_leader = cluster.leader_of(info_queue)
        assert new_leader is not leader
        wait_stored(at_stop, 'storing again after the leader stopped')
        monitor.event('storing again (new leader %s)' % new_leader.name)
        leader.start(timeout=180)
        cluster.wait_members(3)
        t_back = monitor.event('the old leader is back')

        # 2. Host B is lost, and comes back.
        wait_sent(0.5)
        assert publisher.is_alive(), 'the publisher is done already'
        lost = net.hosts['listener-b']
        t_kill = monitor.event('kill -9 of every process on %s, %d stored'
                               % (lost.name, monitor.stored()))
        lost.kill_all()
        listeners['listener-b'].wait(30)
        wait_stored(monitor.stored(), 'storing after the host was lost')
        start_listener('listener-b')
        monitor.event('%s started again' % lost.name)

        publisher.finish(DRAIN_TIMEOUT)
        t_published = monitor.event('%d published' % publisher.sent)
        monitor.wait(lambda: monitor.stored() >= COUNT, DRAIN_TIMEOUT,
                     'every notification stored', running())
        t_stored = monitor.event('%d stored' % monitor.stored())
        # What was stored but not acknowledged when a connection went
        # comes back once more: found a duplicate, acknowledged.
        monitor.wait(lambda: traffic.queue_depth(
            cluster.nodes[0].url, deployment.queues) == 0, 120,
            'queues empty')
        for name, process in listeners.items():
            assert process.process.poll() is None, \
                '%s died:\n%s' % (name, process.log())
            process.signal(signal.SIGTERM)
        for name, process in listeners.items():
            assert process.wait(60) == 0, process.log()
        monitor.stop()
        final = monitor.sample()
    finally:
        monitor.stop()
        publisher.stopping = True
        publisher.join(60)
        for process in listeners.values():
            process.ensure_gone()
        publisher.close()

    _report(monitor, final, t_stop, t_back, t_kill, t_published, t_stored)

    # Every notification published is stored, once.
    published = publisher.published()
    assert len(published) == COUNT
    with engine.connect() as connection:
        stored = list(connection.execute(
            sa.select(NOTIFICATIONS.c.message_id)).scalars())
    assert len(stored) == COUNT, 'stored %d of %d' % (len(stored), COUNT)
    assert set(stored) == {item['metadata']['message_id']
                           for item in published}

    # The listeners connected to the stopped node came back by themselves
    # (host B's first process was killed later: its log is read too).
    # Which node a listener connects to is the driver's choice: when none
    # was on the leader's node, the leader's stop is a failover the
    # listeners ride through without reconnecting.
    for name, offset in reconnecting.items():
        log_path = tmp_path / ('%s-0.log' % name)
        with open(log_path, errors='replace') as log:
            after_stop = log.read()[offset:]
        assert 'Reconnected to AMQP server' in after_stop, after_stop

    # The derived tables equal those of the same notifications stored
    # without any fault, in order, in one process.
    expected_db = services.TestDatabase('postgresql', tmp_path)
    try:
        conf = base.make_conf(expected_db.create())
        expected = db_api.Database(conf)
        migration.upgrade(expected)
        expected.dispose()
        loaded = analyses.load(conf, published, batch_size=500)
        want = analyses.snapshot(loaded)
        loaded.dispose()
    finally:
        expected_db.drop()
    got_database = _database_of(database.url)
    try:
        # The hours the listeners marked, rolled up as their roller would
        # once they settle (the reference is rolled up by its load).
        rollups.roll(got_database)
        got = analyses.snapshot(got_database)
    finally:
        got_database.dispose()
    for table in want:
        assert got[table] == want[table], table
    engine.dispose()


def _database_of(url):
    return db_api.Database(base.make_conf(url))


def _report(monitor, final, t_stop, t_back, t_kill, t_published, t_stored):
    """The figures the scaling guide quotes, printed with the test."""
    first = next(sample for sample in monitor.samples if sample['stored'])
    drain = t_stored - first['t']
    print('\nFigures (%d notifications, %.0f s from the first stored to '
          'the last):' % (COUNT, drain))
    print('  published: %.0f/s' % (COUNT / t_published))
    print('  stored, all hosts: %.0f/s' % (COUNT / drain))
    for host, stored in sorted(final['hosts'].items()):
        print('  stored by %s: %d (%.0f/s)' % (host, stored, stored / drain))
    print('  longest stall of storing around the leader stop: %.1f s'
          % monitor.longest_stall('stored', t_stop))
    print('  longest stall of publishing around the leader stop: %.1f s'
          % monitor.longest_stall('sent', t_stop))
    print('  longest stall of storing around the node restart: %.1f s'
          % monitor.longest_stall('stored', t_back, window=20))
    print('  longest stall of storing around the host loss: %.1f s'
          % monitor.longest_stall('stored', t_kill))
    for moment, what in monitor.events:
        print('  %7.1f s  %s' % (moment, what))
