"""A three-node RabbitMQ cluster of a test's own, on one machine.

Three ``broker.RabbitNode``s (each its node name, AMQP and distribution
ports, mnesia, logs and plugins in a directory of the test's), sharing an
Erlang cookie of the cluster's, joined with ``rabbitmqctl join_cluster``.
Every node also takes AMQP connections on the test network's services
address (``addresses``), where the listener hosts reach it; the test
itself reaches the nodes on 127.0.0.1. The machine's own RabbitMQ (5672)
is never touched: only the shared epmd is used, as every node does.

Erlang is slow to boot on two cores: the nodes start in parallel, and
every wait is a poll with a deadline.
"""

import concurrent.futures
import contextlib
import os
import secrets
import time

from tests.functional.listener import broker


class RabbitCluster:
    """``size`` nodes in ``directory``; ``nodes[0]`` is the seed."""

    def __init__(self, directory, sbin, addresses=(), size=3):
        cookie = secrets.token_hex(16).upper()
        self.nodes = []
        for number in range(size):
            path = os.path.join(str(directory), 'node-%d' % number)
            os.makedirs(path)
            self.nodes.append(broker.RabbitNode(path, sbin, cookie=cookie,
                                                addresses=addresses))

    def url(self, address='127.0.0.1'):
        """A transport URL listing every node, at ``address``."""
        hosts = ','.join('guest:guest@%s:%d' % (address, node.port)
                         for node in self.nodes)
        return 'rabbit://%s/' % hosts

    def start(self, timeout=180):
        """Boot the nodes in parallel, then join them to the first."""
        self._parallel(lambda node: node.start(timeout=timeout))
        seed = self.nodes[0]
        for node in self.nodes[1:]:
            for args in (('stop_app',), ('join_cluster', seed.name),
                         ('start_app',)):
                self._ctl(node, *args)
        for node in self.nodes[1:]:
            broker.wait_answers(node, timeout)
        self.wait_members(len(self.nodes), timeout)

    def _parallel(self, action):
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            for future in [pool.submit(action, node) for node in self.nodes]:
                future.result()

    @staticmethod
    def _ctl(node, *args, timeout=120):
        result = node.ctl(*args, timeout=timeout)
        if result.returncode != 0:
            raise broker.NodeError('rabbitmqctl -n %s %s: %s%s\n%s' % (
                node.name, ' '.join(args), result.stdout, result.stderr,
                node.log_tail()))
        return result.stdout

    def running_nodes(self):
        """Names of the running cluster members, as a running node sees
        them."""
        for node in self.nodes:
            if not node.running():
                continue
            with contextlib.suppress(broker.NodeError):
                result = node.ctl('eval', 'rabbit_nodes:all_running().',
                                  timeout=180)
                if result.returncode == 0:
                    return {name.strip(" '[]\n")
                            for name in result.stdout.split(',')
                            if name.strip(" '[]\n")}
        return set()

    def wait_members(self, count, timeout=120):
        deadline = time.monotonic() + timeout
        while len(self.running_nodes()) < count:
            if time.monotonic() > deadline:
                raise broker.NodeError(
                    'the cluster has %s running, not %d nodes'
                    % (sorted(self.running_nodes()), count))
            time.sleep(0.5)

    def node_named(self, name):
        return next(node for node in self.nodes if node.name == name)

    def queues(self, *columns):
        """``list_queues`` rows (dicts of ``columns``)."""
        return self.listing('list_queues', *columns)

    def listing(self, command, *columns):
        """The rows of a ``rabbitmqctl`` listing command (dicts of
        ``columns``) as a running node gives them."""
        for node in self.nodes:
            if not node.running():
                continue
            result = node.ctl('--quiet', '--no-table-headers', command,
                              *columns, timeout=180)
            if result.returncode != 0:
                continue
            rows = []
            for line in result.stdout.splitlines():
                values = line.split('\t')
                if len(values) == len(columns):
                    rows.append(dict(zip(columns, values)))
            return rows
        raise broker.NodeError('no running node answers %s' % command)

    def leader_of(self, queue):
        """The node that leads the quorum queue ``queue``."""
        for row in self.queues('name', 'leader'):
            if row['name'] == queue:
                return self.node_named(row['leader'])
        raise broker.NodeError('no queue %s' % queue)

    def close(self):
        """Stop every node, whatever state it is in."""
        self._parallel(lambda node: node.close())
