"""A private RabbitMQ node that a test may stop and start again.

The machine's RabbitMQ is shared by every test file running in parallel:
restarting it would break them. ``RabbitNode`` runs a node of its own
instead, from the same installation: its own node name, AMQP and
distribution ports on 127.0.0.1, and its database (mnesia), logs, config,
Erlang cookie (``HOME``) and plugin list (none: no management plugin) in a
directory of the test's. ``stop()`` shuts the node down cleanly (SIGTERM,
as a service manager stops it) and ``start()`` boots it again on the same
database: what is durable survives and what is not is gone, as in a real
restart. The node registers with the machine's epmd (the shared RabbitMQ
runs one); should it have to start one, that epmd stays on 127.0.0.1.

Where the server is: ``STACKTACH_TEST_RABBITMQ_SBIN`` (the directory of
``rabbitmq-server`` and ``rabbitmqctl``), else ``rabbitmq-server`` on the
``PATH`` or in the usual sbin directories. A distribution package's
``rabbitmq-server`` is often a wrapper that switches to the ``rabbitmq``
user (who cannot read a test's directory): the real scripts beside it are
used then.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid

import amqp

# Ports are taken below the range the kernel hands to outgoing
# connections: a client socket must not sit on the node's port while the
# node is down for a restart.
_EPHEMERAL_RANGE = '/proc/sys/net/ipv4/ip_local_port_range'
_LOWEST_PORT = 10000
# Where packages install rabbitmq-server, often not on a user's PATH.
_SBIN_DIRS = ('/usr/local/sbin', '/usr/sbin', '/sbin')


class NodeError(Exception):
    """The node did not start or stop in time."""


def find_sbin():
    """The directory of the real ``rabbitmq-server``, or None."""
    configured = os.environ.get('STACKTACH_TEST_RABBITMQ_SBIN')
    if configured:
        return configured
    path = os.pathsep.join([os.environ.get('PATH', '')] + list(_SBIN_DIRS))
    server = shutil.which('rabbitmq-server', path=path)
    if server is None:
        return None
    real = os.path.realpath(server)
    directory = os.path.dirname(real)
    if os.path.basename(real) != 'rabbitmq-server':
        # A symbolic link to a wrapper script (Debian, Ubuntu): the real
        # script is its neighbour.
        if not os.access(os.path.join(directory, 'rabbitmq-server'),
                         os.X_OK):
            return None
    return directory


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def free_ports(count):
    """``count`` ports free on 127.0.0.1, below the ephemeral range."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(_EPHEMERAL_RANGE) as ports:
            low = int(ports.read().split()[0])
    low = max(low, _LOWEST_PORT + 1000)
    rng = random.Random()
    chosen = []
    for _attempt in range(1000):
        port = rng.randrange(_LOWEST_PORT, low)
        if port not in chosen and _bindable(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise NodeError('no free port found below %d' % low)


class RabbitNode:
    """One RabbitMQ node in ``directory``; ``url`` is its transport URL.

    ``cookie``: the Erlang cookie, the same for the nodes of one cluster
    (by default the node makes one of its own). ``addresses``: more
    addresses than 127.0.0.1 on which the node takes AMQP connections, on
    the same port (a test network's); ``guest`` may then log in from
    them, as it may from loopback.
    """

    def __init__(self, directory, sbin, cookie=None, addresses=()):
        self.directory = str(directory)
        self.sbin = sbin
        self.name = 'stng-%s@localhost' % uuid.uuid4().hex[:10]
        self.port, self.dist_port = free_ports(2)
        self.url = self.url_at('127.0.0.1')
        self.cookie = cookie
        self.addresses = tuple(addresses)
        self.pid_file = os.path.join(self.directory, 'node.pid')
        self.log_path = os.path.join(self.directory, 'node-stdout.log')
        self.process = None
        self.env = self._environment()

    def _environment(self):
        join = os.path.join
        directory = self.directory
        for name in ('mnesia', 'log', 'home'):
            os.makedirs(join(directory, name), exist_ok=True)
        plugins = join(directory, 'enabled_plugins')
        with open(plugins, 'w') as enabled:
            enabled.write('[].\n')
        config = join(directory, 'rabbitmq.conf')
        with open(config, 'w') as conf:
            # The node's own log file only (in RABBITMQ_LOG_BASE).
            conf.write('log.console = false\nlog.file.level = info\n')
            if self.addresses:
                conf.write('loopback_users = none\n')
                for number, address in enumerate(
                        ('127.0.0.1',) + self.addresses, start=1):
                    conf.write('listeners.tcp.%d = %s:%d\n'
                               % (number, address, self.port))
        if self.cookie is not None:
            cookie = join(directory, 'home', '.erlang.cookie')
            with open(cookie, 'w') as stream:
                stream.write(self.cookie)
            os.chmod(cookie, 0o400)
        empty_env_file = join(directory, 'rabbitmq-env.conf')
        open(empty_env_file, 'w').close()
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('RABBITMQ_', 'ERL_'))}
        env.update({
            # The Erlang cookie is made in, and read from, $HOME.
            'HOME': join(directory, 'home'),
            'RABBITMQ_NODENAME': self.name,
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'RABBITMQ_MNESIA_BASE': join(directory, 'mnesia'),
            'RABBITMQ_LOG_BASE': join(directory, 'log'),
            'RABBITMQ_PID_FILE': self.pid_file,
            'RABBITMQ_CONFIG_FILE': config,
            'RABBITMQ_ENABLED_PLUGINS_FILE': plugins,
            'RABBITMQ_PLUGINS_EXPAND_DIR': join(directory, 'plugins-expand'),
            # Not the machine's node's settings (node name, listeners).
            'RABBITMQ_CONF_ENV_FILE': empty_env_file,
            # Schedulers that sleep when idle instead of spinning: a
            # test's nodes share a small machine with everything else.
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
                '-kernel inet_dist_use_interface {127,0,0,1} '
                '+sbwt none +sbwtdcpu none +sbwtdio none',
            # Should this node be the one to start epmd: loopback only.
            'ERL_EPMD_ADDRESS': '127.0.0.1',
        })
        if not self.addresses:
            env.update({'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
                        'RABBITMQ_NODE_PORT': str(self.port)})
        return env

    def url_at(self, address):
        """The transport URL of the node at one of its addresses."""
        return 'rabbit://guest:guest@%s:%d/' % (address, self.port)

    def _command(self, name):
        return os.path.join(self.sbin, name)

    def ctl(self, *args, timeout=60):
        """``rabbitmqctl -n <node> args``; a CompletedProcess."""
        try:
            return subprocess.run(
                [self._command('rabbitmqctl'), '-n', self.name] + list(args),
                env=self.env, cwd=self.directory, capture_output=True,
                text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise NodeError('rabbitmqctl %s: no answer in %d s'
                            % (' '.join(args), timeout)) from error

    def running(self):
        return self.process is not None and self.process.poll() is None

    def os_pid(self):
        """The Erlang VM's process id, from the node's pid file."""
        with open(self.pid_file) as pid:
            return int(pid.read().strip())

    def start(self, timeout=60):
        """Boot the node; return once it accepts AMQP connections."""
        if self.running():
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pid_file)
        deadline = time.monotonic() + timeout
        with open(self.log_path, 'ab') as log:
            # In the foreground, in a session of its own: the script and
            # the Erlang VM can be killed together.
            self.process = subprocess.Popen(
                [self._command('rabbitmq-server')], env=self.env,
                cwd=self.directory, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        # The AMQP listener opens last in the boot, once the queues are
        # recovered; a handshake proves the broker answers.
        while not _answers(self.port):
            if not self.running() or time.monotonic() > deadline:
                self.kill()
                raise NodeError('node %s did not start in %d s (exit code '
                                '%s)\n%s' % (self.name, timeout,
                                             self.process.returncode,
                                             self.log_tail()))
            time.sleep(0.1)

    def stop(self, timeout=60):
        """A clean shutdown: SIGTERM, as a service manager (or ``docker
        stop``) stops the broker; kill -9 when it hangs."""
        if not self.running():
            return
        # The script hands the signal to the Erlang VM, which stops the
        # broker in order: listeners and client connections first, then
        # the queues, whose durable contents are kept on disk.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            self.kill()
            raise NodeError('node %s did not stop in %d s\n%s' % (
                self.name, timeout, self.log_tail())) from error

    def restart(self, timeout=60):
        self.stop(timeout)
        self.start(timeout)

    def close(self):
        """Make sure the node is gone, whatever state it is in."""
        with contextlib.suppress(NodeError):
            self.stop(timeout=30)
        self.kill()

    def kill(self):
        """kill -9 of the node's script and Erlang VM at once."""
        # Only while the script is not reaped: its process group is then
        # surely this node's (the script waits for the Erlang VM).
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def log_tail(self, lines=40):
        text = ''
        for path in (self.log_path,
                     os.path.join(self.directory, 'log',
                                  '%s.log' % self.name)):
            with contextlib.suppress(OSError):
                with open(path, errors='replace') as log:
                    text += '--- %s\n%s\n' % (
                        os.path.basename(path),
                        ''.join(log.readlines()[-lines:]))
        return text


def _answers(port):
    """Whether an AMQP handshake (as guest) on ``port`` succeeds."""
    connection = amqp.Connection('127.0.0.1:%d' % port, userid='guest',
                                 password='guest', connect_timeout=2)
    try:
        connection.connect()
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def wait_answers(node, timeout=60):
    """Wait until ``node`` takes AMQP connections (after a ``start_app``,
    say)."""
    deadline = time.monotonic() + timeout
    while not _answers(node.port):
        if time.monotonic() > deadline:
            raise NodeError('node %s takes no connection after %d s\n%s'
                            % (node.name, timeout, node.log_tail()))
        time.sleep(0.1)
