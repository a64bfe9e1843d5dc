"""Fixtures of the multi-host tests: a test network of namespaces, a
RabbitMQ cluster of the test's own, and the machine's database servers
reachable from the test hosts.

Everything is made by the test and undone in ``finally``, failure or
not: the processes on the hosts, the namespaces, the bridge, the broker
nodes, the forwarders and the databases. With ``CI=true`` a missing
capability (root, iproute2, socat, rabbitmq-server, a database server)
fails the test instead of skipping it.
"""

import contextlib
import os

import pytest
import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import services
from tests.functional.cluster import network
from tests.functional.cluster import rabbit_cluster
from tests.functional.listener import broker

# Where the shared database servers listen (the machine's own).
_SERVER_URLS = {'postgresql': services.PG_URL, 'mysql': services.MYSQL_URL}


def require_hosts():
    why = network.missing()
    if why is not None:
        services.unavailable('Test hosts in network namespaces', why)


@contextlib.contextmanager
def made_network(host_names):
    require_hosts()
    try:
        made = network.TestNetwork(host_names)
    except network.NetworkError as error:
        services.unavailable('Test hosts in network namespaces', str(error))
    try:
        yield made
    finally:
        made.close()


@contextlib.contextmanager
def running_cluster(directory, addresses):
    """A three-node RabbitMQ cluster, stopped on exit."""
    what = 'A three-node RabbitMQ cluster'
    sbin = broker.find_sbin()
    if sbin is None:
        services.unavailable(what, 'no rabbitmq-server found (set '
                             'STACKTACH_TEST_RABBITMQ_SBIN to its directory)')
    cluster = rabbit_cluster.RabbitCluster(directory, sbin,
                                           addresses=addresses)
    try:
        try:
            cluster.start()
        except broker.NodeError as error:
            services.unavailable(what, str(error))
        yield cluster
    finally:
        cluster.close()


class SharedDatabase:
    """A fresh, migrated database on a machine's server, and its URL as
    the test hosts reach it (through a forwarder on the services
    address)."""

    def __init__(self, backend, net, tmp_path):
        self.backend = backend
        self.database = services.TestDatabase(backend, tmp_path)
        self.url = self.database.create()
        conf = base.make_conf(self.url)
        migrated = db_api.Database(conf)
        migration.upgrade(migrated)
        migrated.dispose()
        server = sa.engine.make_url(_SERVER_URLS[backend])
        self.forwarder = network.Forwarder(
            net, server.host, server.port,
            os.path.join(str(tmp_path), 'forward-%s.log' % backend))
        self.host_url = sa.engine.make_url(self.url).set(
            host=self.forwarder.host, port=self.forwarder.port
        ).render_as_string(hide_password=False)

    def close(self):
        try:
            self.forwarder.close()
        finally:
            self.database.drop()


@contextlib.contextmanager
def shared_database(backend, net, tmp_path):
    database = SharedDatabase(backend, net, tmp_path)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def hosts_and_cluster(tmp_path):
    """Two listener hosts, the cluster, a PostgreSQL database."""
    with made_network(['listener-a', 'listener-b']) as net, \
            running_cluster(tmp_path / 'rabbit', [net.address]) as cluster, \
            shared_database('postgresql', net, tmp_path) as database:
        yield net, cluster, database
