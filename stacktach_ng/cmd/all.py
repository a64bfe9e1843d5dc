"""``stacktach-ng-all``: the whole of stacktach-ng in one process.

For a laptop, a demo or a first look: no configuration file needed. It
keeps a SQLite database under ``--state-dir`` (migrated on start), uses
oslo.messaging's in-process transport unless ``--transport-url`` names a
real bus, and runs the listener, the verifier and the API with the web UI
(``[api] auth_strategy = noauth`` unless a configuration file says
otherwise). ``--simulate`` feeds it with realistic cloud traffic in real
time. It prints the address of the UI once everything is up.

A configuration file given with ``--config-file`` is read as by the other
daemons; the command line options below win over it.
"""

import logging
import os
import signal
import sys
import threading

import oslo_messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts
from oslo_service import service as os_service

from stacktach_ng import service
from stacktach_ng.cmd import api as api_cmd
from stacktach_ng.cmd import verifier as verifier_cmd
from stacktach_ng.conf import database as db_conf
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.listener import service as listener

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-all'

# oslo.messaging's in-process transport: publishers and listeners of one
# process share its exchanges.
IN_PROCESS_TRANSPORT = 'fake://'

CLI_OPTS = [
    cfg.StrOpt('state-dir', dest='state_dir',
               help='Directory for the SQLite database and other state '
                    '(default: [DEFAULT] state_path, '
                    '~/.local/share/stacktach-ng).'),
    cfg.StrOpt('transport-url', dest='bus_url',
               help='Message bus to listen on, e.g. '
                    'rabbit://guest:guest@127.0.0.1:5672/ (default: the '
                    'in-process transport, which only --simulate feeds).'),
    cfg.HostAddressOpt('bind-host', dest='bind_host', default='127.0.0.1',
                       help='Address the API and UI listen on.'),
    cfg.PortOpt('bind-port', dest='bind_port', default=8799,
                help='Port the API and UI listen on (0: any free port).'),
    cfg.BoolOpt('simulate', default=False,
                help='Generate realistic cloud traffic in real time and '
                     'publish it on the transport.'),
    cfg.IntOpt('operations-per-minute', dest='operations_per_minute',
               default=30, min=1,
               help='With --simulate: cloud operations (boots, deletes, '
                    'resizes, ...) started per minute.'),
    cfg.IntOpt('seed', default=None,
               help='With --simulate: random seed (default: a new one '
                    'each run).'),
]


class ApiService(os_service.Service):
    """The development API server in a thread of its own."""

    def __init__(self, conf, database):
        super().__init__()
        self.conf = conf
        self.database = database
        self.server = None
        self._thread = None
        self.ready = threading.Event()

    def start(self):
        super().start()
        from stacktach_ng.api import app as api_app

        application = api_app.setup_app(self.conf, self.database)
        self.server = api_cmd.make_server(self.conf, application)
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name='stacktach-ng-api',
                                        daemon=True)
        self._thread.start()
        self.ready.set()

    @property
    def address(self):
        host, port = self.server.server_address[:2]
        return host, port

    def stop(self, graceful=False):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        super().stop(graceful)


class SimulatorService(os_service.Service):
    """Publish simulated traffic on the transport as it happens."""

    def __init__(self, conf, transport_url, operations_per_minute, seed):
        super().__init__()
        self.conf = conf
        self.transport_url = transport_url
        self.operations_per_minute = operations_per_minute
        self.seed = seed
        self._stop = threading.Event()
        self._thread = None
        self.published = 0

    def start(self):
        super().start()
        self._thread = threading.Thread(target=self._run,
                                        name='stacktach-ng-simulator',
                                        daemon=True)
        self._thread.start()

    def _run(self):
        from stacktach_ng.simulator import engine
        from stacktach_ng.simulator import sinks

        simulator = engine.Simulator(
            seed=self.seed if self.seed is not None
            else int.from_bytes(os.urandom(4), 'big'),
            realtime=True, audit_period='hour',
            ops_per_hour=self.operations_per_minute * 60,
            sleep=self._stop.wait)
        sink = sinks.TransportSink(self.transport_url, self.conf.listener
                                   .topics[0], conf=self.conf)
        try:
            for notification in simulator.notifications():
                if self._stop.is_set():
                    break
                sink.publish(notification.body, notification.service)
                self.published += 1
        except Exception:
            LOG.exception('The traffic simulator stopped')
        finally:
            if self.transport_url != IN_PROCESS_TRANSPORT:
                # The in-process transport's exchanges are shared by the
                # whole process: cleaning up here would empty them under
                # the listener.
                sink.close()

    def stop(self, graceful=False):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().stop(graceful)


def _register_messaging_opts(conf):
    for group, opts in messaging_opts.list_opts():
        if group in (None, 'oslo_messaging_notifications'):
            conf.register_opts(opts, group=group)


def configure(argv):
    """Parse the command line; return the configuration."""
    conf = service.build_conf()
    conf.register_cli_opts(CLI_OPTS)
    conf = service.prepare_service(argv, conf=conf, register_gmr=False)
    if conf.state_dir:
        state_dir = os.path.abspath(os.path.expanduser(conf.state_dir))
        conf.set_override('state_path', state_dir)
        conf.set_default('connection',
                         db_conf.default_connection(state_dir),
                         group='database')
    _register_messaging_opts(conf)
    transport_url = (conf.bus_url
                     or conf.oslo_messaging_notifications.transport_url
                     or _configured(conf, 'transport_url')
                     or IN_PROCESS_TRANSPORT)
    conf.set_override('transport_url', transport_url,
                      group='oslo_messaging_notifications')
    conf.set_default('auth_strategy', 'noauth', group='api')
    conf.set_override('host', conf.bind_host, group='api')
    conf.set_override('port', conf.bind_port, group='api')
    # Audits come every hour in the simulation; verify them soon after.
    conf.set_default('settle_delay', 60, group='verifier')
    conf.set_default('interval', 30, group='verifier')
    # One process: the listener stores in its own thread pool (a config
    # file can still ask for store processes).
    conf.set_default('store_processes', 0, group='listener')
    return conf


def _configured(conf, name):
    """The value of a [DEFAULT] option if a file or the command line set
    it (oslo.messaging's own default, rabbit://, does not count here)."""
    if conf.get_location(name).location == cfg.Locations.opt_default:
        return None
    return conf[name]


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        conf = configure(argv)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    transport_url = conf.oslo_messaging_notifications.transport_url
    database = db_api.Database(conf)
    try:
        migration.upgrade(database)
    except Exception as e:
        sys.stderr.write('%s: cannot prepare the database %s: %s\n'
                         % (PROG, conf.database.connection, e))
        return 1

    # Every part runs as threads of this one process, not as forked
    # workers of an oslo.service launcher: the in-process transport and
    # SQLite's single writer are per process.
    api = ApiService(conf, database)
    try:
        api.start()
    except OSError as e:
        sys.stderr.write('%s: cannot serve on %s:%s: %s\n'
                         % (PROG, conf.api.host, conf.api.port, e))
        return 1
    services = [listener.ListenerService(conf),
                verifier_cmd.VerifierService(conf)]
    if conf.simulate:
        services.append(SimulatorService(
            conf, transport_url, conf.operations_per_minute, conf.seed))
    started = [api]
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        for part in services:
            part.start()
            started.append(part)
        host, port = api.address
        url = 'http://%s:%d' % (host, port)
        print('stacktach-ng is running.\n'
              '  UI:       %s/ui/\n'
              '  API:      %s/v1/  (%s)\n'
              '  Database: %s\n'
              '  Bus:      %s%s\n'
              'Press Ctrl-C to stop.'
              % (url, url,
                 'no authentication' if conf.api.auth_strategy == 'noauth'
                 else 'Keystone authentication',
                 conf.database.connection,
                 'in-process' if transport_url == IN_PROCESS_TRANSPORT
                 else _without_password(transport_url),
                 ', with simulated traffic' if conf.simulate else ''),
              flush=True)
        threading.Event().wait()
    except (KeyboardInterrupt, _Stop):
        LOG.info('Stopping')
    finally:
        # The producer first, the consumers after, the API last.
        for part in reversed(started):
            try:
                part.stop()
            except Exception:
                LOG.exception('Error while stopping %s', part)
        database.dispose()
    return 0


def _without_password(url):
    try:
        parsed = oslo_messaging.TransportURL.parse(cfg.CONF, url)
    except Exception:
        return url
    return str(parsed).replace(
        ':' + (parsed.hosts[0].password or '') + '@', ':***@'
    ) if parsed.hosts and parsed.hosts[0].password else url


if __name__ == '__main__':
    sys.exit(main())
