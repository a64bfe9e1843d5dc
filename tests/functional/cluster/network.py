"""Test hosts on one machine: network namespaces on a bridge of the test's.

``TestNetwork`` makes a bridge in the root namespace with the first
address of a /24 of its own (the "services" address: the brokers and the
database forwarders listen there), and one network namespace per host,
joined to the bridge by a veth pair, with the next addresses. A host
reaches the services address and the other hosts, and nothing else: its
namespace has no default route. The root namespace never connects to the
hosts' addresses (the tests reach the services on 127.0.0.1), so nothing
a test sends can leave the machine, even after a teardown.

``close()`` kills every process still in the namespaces (the tests' own:
only they run there), deletes the namespaces and the bridge. It runs on
failure too (the fixtures call it in ``finally``).

``Forwarder`` makes a service that listens on 127.0.0.1 only (the
database servers) reachable at the services address: a ``socat`` of the
test's own, as a router or a proxy in front of a database host would be.

All of this needs root (``CAP_NET_ADMIN``) and iproute2; ``missing()``
tells what is lacking, for the fixtures to report it.
"""

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid

from tests.fixtures import processes

# The /24 of a network is taken in this block, one not routed here.
_BLOCK = ipaddress.ip_network('10.249.0.0/16')


class NetworkError(Exception):
    """A namespace, link or address could not be made."""


def missing():
    """Why test hosts cannot be made here, or None."""
    if shutil.which('ip') is None:
        return 'the ip command (iproute2) is not installed'
    if shutil.which('socat') is None:
        return 'socat is not installed'
    if os.geteuid() != 0:
        return 'network namespaces need root'
    return None


def _ip(*args, namespace=None, check=True):
    command = ['ip']
    if namespace is not None:
        command += ['-n', namespace]
    result = subprocess.run(command + list(args), capture_output=True,
                            text=True, timeout=30, check=False)
    if check and result.returncode != 0:
        raise NetworkError('ip %s: %s' % (' '.join(args),
                                          result.stderr.strip()))
    return result


def _used_networks():
    routes = _ip('-4', 'route', 'show', 'table', 'all').stdout.split()
    used = []
    for word in routes:
        with contextlib.suppress(ValueError):
            if '/' in word or word.count('.') == 3:
                used.append(ipaddress.ip_network(word, strict=False))
    return used


def _free_subnet():
    used = _used_networks()
    candidates = list(_BLOCK.subnets(new_prefix=24))
    start = uuid.uuid4().int % len(candidates)
    for subnet in candidates[start:] + candidates[:start]:
        if not any(subnet.overlaps(other) for other in used):
            return subnet
    raise NetworkError('no free /24 in %s' % _BLOCK)


class Host:
    """One test host: a network namespace and its address."""

    def __init__(self, name, namespace, address):
        self.name = name
        self.namespace = namespace
        self.address = address

    def command(self, argv):
        """``argv`` run inside the host (``ip netns exec`` execs it: the
        process started is the command itself)."""
        return ['ip', 'netns', 'exec', self.namespace] + list(argv)

    def pids(self):
        result = _ip('netns', 'pids', self.namespace, check=False)
        return [int(pid) for pid in result.stdout.split()]

    def peer_ports(self, address):
        """Ports of ``address`` this host has established TCP connections
        to."""
        result = subprocess.run(
            ['ss', '-N', self.namespace, '-Htn', 'state', 'established',
             'dst', address], capture_output=True, text=True, timeout=30,
            check=False)
        ports = set()
        for line in result.stdout.splitlines():
            peer = line.split()[-1]
            ports.add(int(peer.rsplit(':', 1)[1]))
        return ports

    def kill_all(self):
        """kill -9 of every process of the host: the host is lost."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class TestNetwork:
    """A bridge and ``host_names`` namespaces on it."""

    def __init__(self, host_names):
        tag = uuid.uuid4().hex[:6]
        self.tag = tag
        self.bridge = 'stng%s-br' % tag
        self.subnet = _free_subnet()
        addresses = list(self.subnet.hosts())
        self.address = str(addresses[0])
        self.hosts = {}
        self._veths = []
        self._made = False
        try:
            self._make_bridge()
            for number, name in enumerate(host_names):
                self.hosts[name] = self._make_host(
                    number, name, str(addresses[number + 1]))
        except Exception:
            self.close()
            raise

    def _make_bridge(self):
        _ip('link', 'add', self.bridge, 'type', 'bridge')
        self._made = True
        _ip('addr', 'add', '%s/%d' % (self.address, self.subnet.prefixlen),
            'dev', self.bridge)
        _ip('link', 'set', self.bridge, 'up')

    def _make_host(self, number, name, address):
        namespace = 'stng-%s-%s' % (self.tag, name)
        veth = 'stng%s-%d' % (self.tag, number)
        host = Host(name, namespace, address)
        _ip('netns', 'add', namespace)
        self.hosts[name] = host
        _ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0',
            'netns', namespace)
        self._veths.append(veth)
        _ip('link', 'set', veth, 'master', self.bridge, 'up')
        _ip('addr', 'add', '%s/%d' % (address, self.subnet.prefixlen),
            'dev', 'eth0', namespace=namespace)
        _ip('link', 'set', 'lo', 'up', namespace=namespace)
        _ip('link', 'set', 'eth0', 'up', namespace=namespace)
        return host

    def close(self):
        for host in self.hosts.values():
            host.kill_all()
            deadline = time.monotonic() + 10
            while host.pids() and time.monotonic() < deadline:
                time.sleep(0.1)
            _ip('netns', 'del', host.namespace, check=False)
        for veth in self._veths:
            _ip('link', 'del', veth, check=False)
        if self._made:
            _ip('link', 'del', self.bridge, check=False)
        self.hosts = {}
        self._veths = []
        self._made = False


class Forwarder:
    """``socat`` forwarding ``network.address:port`` to ``target``."""

    def __init__(self, network, target_host, target_port, log_path):
        self.host = network.address
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self._log = open(log_path, 'ab')  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            ['socat', 'TCP-LISTEN:%d,bind=%s,fork,reuseaddr,backlog=128'
             % (self.port, self.host),
             'TCP:%s:%d' % (target_host, target_port)],
            stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not _listening(self.host, self.port):
            if self.process.poll() is not None or (
                    time.monotonic() > deadline):
                self.close()
                raise NetworkError('socat did not listen on %s:%d'
                                   % (self.host, self.port))
            time.sleep(0.05)

    def close(self):
        processes.stop_group(self.process, timeout=5)
        self._log.close()


def _listening(host, port):
    # A local check (ss), not a connection: the root namespace never
    # connects to the test network.
    result = subprocess.run(
        ['ss', '-Hltn', 'src', '%s:%d' % (host, port)],
        capture_output=True, text=True, timeout=10, check=False)
    return bool(result.stdout.strip())
