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

import datetime
import math
import os
import signal
import sys
import threading

import oslo_messaging
from oslo_config import cfg
from oslo_log import log as logging
from oslo_messaging import opts as messaging_opts

from stacktach_ng import service
from stacktach_ng.api import server as api_server
from stacktach_ng.common import durations
from stacktach_ng.common import patches
from stacktach_ng.conf import database as db_conf
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.listener import service as listener
from stacktach_ng.simulator import service as simulator_service
from stacktach_ng.usage import service as usage_service

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-all'

# oslo.messaging's in-process transport: publishers and listeners of one
# process share its exchanges.
IN_PROCESS_TRANSPORT = 'fake://'

# The demo's audit period: a verdict shows minutes after the start, not at
# the next hour boundary.
DEMO_AUDIT_PERIOD = '5m'
# The demo's retention (with --simulate): simulated traffic fills the
# SQLite file by about 120 MB an hour at the default rate.
DEMO_MAX_AGE = {'notifications': '6h', 'rejected': '6h'}
DEMO_PURGE_INTERVAL = 600

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
    cfg.StrOpt('audit-period', dest='audit_period',
               default=DEMO_AUDIT_PERIOD,
               help='With --simulate: the simulated usage audit period, '
                    'a duration dividing a day (5m, 1h, 1d). Nova audits '
                    'every hour or day; the demo\'s few minutes show '
                    'verification verdicts soon after the start.'),
]


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
    if conf.simulate:
        # Simulated traffic only matters for a while: keep the demo
        # database small unless a configuration file says otherwise. The
        # verifier looks often, as the audit period is short.
        conf.set_default('max_age', DEMO_MAX_AGE, group='retention')
        conf.set_default('purge_interval', DEMO_PURGE_INTERVAL,
                         group='retention')
        conf.set_default('settle_delay', 30, group='verifier')
        conf.set_default('interval', 15, group='verifier')
    return conf


def audit_period(conf):
    """The simulated audit period (a ``timedelta``).

    :raises cfg.Error: not a duration dividing a day.
    """
    try:
        period = durations.parse(conf.audit_period, what='audit period',
                                 whole=True)
    except ValueError as e:
        raise cfg.Error(str(e)) from None
    day = datetime.timedelta(days=1)
    if period > day or day % period:
        raise cfg.Error('invalid audit period %r: it must divide a day '
                        '(5m, 10m, 1h, 1d)' % conf.audit_period)
    return period


def _demo_lines(conf, period):
    """What the demo's user should expect, in words."""
    # At worst: a whole period to its end, nova's delay after it (a
    # tenth of it in the simulation), the verifier's settling and one
    # interval; rounded up to the minute.
    first = 60 * math.ceil((conf.verifier.settle_delay
                            + conf.verifier.interval
                            + period.total_seconds() * 1.1) / 60.0)
    ages = ', '.join('%s %s' % (kind, age) for kind, age in sorted(
        conf.retention.max_age.items()))
    return ('  Audit:    simulated every %s: the first verification '
            'verdicts show within about %s (UI: Usage)\n'
            '  Kept:     %s (purged every %ss)\n'
            % (_words(period.total_seconds()), _words(first), ages,
               conf.retention.purge_interval))


def _words(seconds):
    minutes = int(round(seconds / 60.0))
    if minutes < 1:
        return '%d seconds' % seconds
    if minutes < 120:
        return '%d minute%s' % (minutes, '' if minutes == 1 else 's')
    return '%d hours' % round(minutes / 60.0)


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
    try:
        period = audit_period(conf)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
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
    patches.install_api_speedups()
    api = api_server.ApiService(conf, database)
    try:
        api.start()
    except OSError as e:
        sys.stderr.write('%s: cannot serve on %s:%s: %s\n'
                         % (PROG, conf.api.host, conf.api.port, e))
        return 1
    services = [listener.ListenerService(conf),
                usage_service.VerifierService(conf)]
    if conf.simulate:
        services.append(simulator_service.SimulatorService(
            conf, transport_url, conf.operations_per_minute, conf.seed,
            shared_transport=transport_url == IN_PROCESS_TRANSPORT,
            audit_period=period))
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
              '%s'
              'Press Ctrl-C to stop.'
              % (url, url,
                 'no authentication' if conf.api.auth_strategy == 'noauth'
                 else 'Keystone authentication',
                 conf.database.connection,
                 'in-process' if transport_url == IN_PROCESS_TRANSPORT
                 else _without_password(transport_url),
                 ', with simulated traffic' if conf.simulate else '',
                 _demo_lines(conf, period) if conf.simulate else ''),
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
