"""Run the devstack plugin's phases in devstack's own code.

``Devstack`` lays out a devstack for one test: a tree with devstack's own
files (from the pinned checkout of ``source.py``) and a ``local.conf``,
the plugin repository in ``$DEST``, and the config files devstack writes
for nova, glance, cinder, neutron and keystone before the plugins'
post-config phase. ``run()`` runs ``run_phases.sh`` in a bash subprocess:
devstack's functions, stackrc and lib/ files, with only the
package-installing calls and sudo replaced (``stubs.sh``) and stand-ins of
systemctl, openstack, curl and uwsgi (``bin/``), which record their calls.

With ``database=True`` the devstack's MySQL is the test MariaDB: a user of
its own with a password (devstack's mysql commands need one) and a
database name of its own, both dropped by ``close()``.
"""

import getpass
import os
import signal
import subprocess
import sys
import uuid

import sqlalchemy as sa

from tests.functional import services
from tests.functional.devstack import ini
from tests.functional.devstack import source

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FAKE_HEAT = os.path.join(HERE, 'fake_heat')

HOST = '10.0.0.5'
RABBIT = 'rabbit://stackrabbit:secretrabbit@%s:5672/' % HOST
# Where local.conf says the plugin is published (enable_plugin); the
# harness never clones it: $DEST/stacktach-ng is this repository.
PLUGIN_URL = 'https://opendev.org/openstack/stacktach-ng'

# What a default devstack enables (keystone, nova with one cell, glance,
# cinder, neutron with OVN, MySQL, RabbitMQ) plus heat.
DEFAULT_SERVICES = (
    'key,n-api,n-api-meta,n-cpu,n-cond,n-sch,n-novnc,placement-api,g-api,'
    'c-api,c-sch,c-vol,q-svc,q-ovn-metadata-agent,ovn-controller,'
    'ovn-northd,mysql,rabbit,h-eng,h-api,h-api-cfn')

# The config files as devstack leaves them when the post-config phase
# starts (only the parts that matter to notifications).
DEVSTACK_CONFIGS = {
    'nova/nova.conf': """
[DEFAULT]
transport_url = {rabbit}

[oslo_messaging_notifications]
driver = messagingv2
transport_url = {rabbit}

[notifications]
notification_format = unversioned
""",
    'nova/nova_cell1.conf': """
[database]
connection = mysql+pymysql://root:secretdb@{host}/nova_cell1?charset=utf8

[DEFAULT]
transport_url = {rabbit}nova_cell1
""",
    'glance/glance-api.conf': """
[DEFAULT]
transport_url = {rabbit}

[oslo_messaging_notifications]
driver = messagingv2
""",
    'cinder/cinder.conf': """
[DEFAULT]
transport_url = {rabbit}
""",
    # lib/neutron copies neutron.conf.sample: the options are commented.
    'neutron/neutron.conf': """
[DEFAULT]
transport_url = {rabbit}

[oslo_messaging_notifications]

#
# From oslo.messaging
#

# The Drivers(s) to handle sending notifications. (multi valued)
#driver =

# AMQP topic used for OpenStack notifications. (list value)
#topics = notifications
""",
    'keystone/keystone.conf': """
[oslo_messaging_notifications]
transport_url = {rabbit}
""",
}


class PhaseFailed(AssertionError):
    pass


def local_conf_lines(variables):
    """``KEY=value`` lines of a localrc section, in order."""
    return ['%s=%s' % (key, value) for key, value in variables.items()]


class Devstack:
    """One devstack for the plugin, with its records.

    ``localrc`` is the body of the test's ``[[local|localrc]]`` section
    (text, e.g. a documented example), appended after the harness's own
    lines (paths and passwords of this devstack) and before
    ``variables`` (``KEY=value`` each). ``plugins_only``: the plugins'
    phases without what stack.sh itself does around post-config
    (configure_neutron_nova, start_nova_compute), for config files whose
    other sections are not devstack's.
    """

    def __init__(self, root, services=DEFAULT_SERVICES, heat_first=False,
                 configs=None, localrc=None, database=False,
                 plugins_only=False, **variables):
        self.root = str(root)
        self.devstack_dir = source.devstack_dir()
        self.top_dir = os.path.join(self.root, 'devstack')
        self.dest = os.path.join(self.root, 'opt-stack')
        self.etc = os.path.join(self.root, 'etc')
        self.record_file = os.path.join(self.root, 'record')
        for path in (self.top_dir, self.dest, self.etc,
                     os.path.join(self.dest, 'data'),
                     os.path.join(self.root, 'apache')):
            os.makedirs(path, exist_ok=True)
        # devstack's files, and a local.conf of this devstack's own.
        for name in os.listdir(self.devstack_dir):
            if name in ('.git', 'local.conf', 'localrc', '.localrc.auto'):
                continue
            os.symlink(os.path.join(self.devstack_dir, name),
                       os.path.join(self.top_dir, name))
        os.symlink(REPO_ROOT, os.path.join(self.dest, 'stacktach-ng'))
        os.symlink(FAKE_HEAT, os.path.join(self.dest, 'heat'))
        configs = DEVSTACK_CONFIGS if configs is None else configs
        for name, text in configs.items():
            self.write_config(name, text)

        self.db_name = 'stacktach'
        self.db_user = 'root'
        self.db_password = 'secretdb'
        self._database = None
        if database:
            self._create_database_account()
        harness_lines = {
            'HOST_IP': HOST,
            'STACK_USER': getpass.getuser(),
            'DEST': self.dest,
            'DATA_DIR': os.path.join(self.dest, 'data'),
            'ADMIN_PASSWORD': 'secretadmin',
            'DATABASE_USER': self.db_user,
            'DATABASE_PASSWORD': self.db_password,
            'RABBIT_PASSWORD': 'secretrabbit',
            'SERVICE_PASSWORD': 'secretservice',
            # devstack's own switches: user units (under $HOME, the
            # root here) and the global virtualenv (the tests' own).
            'USER_UNITS': 'True',
            'GLOBAL_VENV': 'True',
            'DEVSTACK_VENV': sys.prefix,
            'APACHE_CONF_DIR': os.path.join(self.root, 'apache'),
            'STACKTACH_CONF_DIR': self.path('stacktach-ng'),
            'API_WORKERS': '2',
        }
        if database:
            harness_lines['MYSQL_HOST'] = self._mysql_host
            harness_lines['STACKTACH_DB_NAME'] = self.db_name
        lines = ['[[local|localrc]]'] + local_conf_lines(harness_lines)
        if services is not None:
            lines.append('ENABLED_SERVICES=%s' % services)
        if localrc is not None:
            lines.append(localrc.strip('\n'))
        lines.extend(local_conf_lines(variables))
        if localrc is None:
            plugins = [
                'enable_plugin stacktach-ng %s' % PLUGIN_URL,
                'enable_plugin heat https://opendev.org/openstack/heat']
            if heat_first:
                plugins.reverse()
            lines.extend(plugins)
        self.local_conf = '\n'.join(lines) + '\n'
        with open(os.path.join(self.top_dir, 'local.conf'), 'w',
                  encoding='utf-8') as f:
            f.write(self.local_conf)

        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': self.root,
            'LANG': 'C.UTF-8',
            'STUB_TOP_DIR': self.top_dir,
            'STUB_ROOT': self.root,
            'STUB_ETC': self.etc,
            'STUB_RECORD': self.record_file,
        }
        if plugins_only:
            self.env['STUB_PLUGINS_ONLY'] = '1'
        dbcounter = source.dbcounter_dir(self.devstack_dir)
        self.env['PYTHONPATH'] = dbcounter

    # MariaDB -------------------------------------------------------------

    def _create_database_account(self):
        suffix = uuid.uuid4().hex[:12]
        self.db_name = 'stng_ds_' + suffix
        self.db_user = 'stng_ds_' + suffix
        self.db_password = uuid.uuid4().hex
        url = sa.engine.make_url(services.MYSQL_URL)
        self._mysql_host = url.host or '127.0.0.1'
        engine = sa.create_engine(services.MYSQL_URL + '/',
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(
                    "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'"
                    % (self.db_user, self.db_password)))
                connection.execute(sa.text(
                    "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%%'"
                    % (self.db_name, self.db_user)))
        except sa.exc.OperationalError as e:
            services.unavailable('mysql', str(e).splitlines()[0])
        finally:
            engine.dispose()
        self._database = engine

    def close(self):
        """Drop the database and the user of ``database=True``."""
        if self._database is None:
            return
        engine = sa.create_engine(services.MYSQL_URL + '/',
                                  isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(
                    'DROP DATABASE IF EXISTS `%s`' % self.db_name))
                connection.execute(sa.text(
                    "DROP USER IF EXISTS '%s'@'%%'" % self.db_user))
        finally:
            engine.dispose()
        self._database = None

    def database_exists(self):
        engine = sa.create_engine(services.MYSQL_URL + '/')
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(
                    'SELECT COUNT(*) FROM information_schema.schemata '
                    'WHERE schema_name = :name'),
                    {'name': self.db_name}).scalar() == 1
        finally:
            engine.dispose()

    # Files ---------------------------------------------------------------

    def path(self, name):
        """Path of a config file under this devstack's /etc."""
        return os.path.join(self.etc, name)

    def write_config(self, name, text):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text.format(rabbit=RABBIT, host=HOST).lstrip())

    def read_config(self, name):
        with open(self.path(name), encoding='utf-8') as f:
            return f.read()

    def config(self, name):
        """``{section: {option: [values]}}`` of a config file."""
        return ini.parse(self.path(name))

    @property
    def stacktach_conf(self):
        return self.path('stacktach-ng/stacktach-ng.conf')

    def unit_file(self, service):
        """The systemd unit devstack's run_process wrote for
        ``service`` (USER_UNITS: under $HOME)."""
        return os.path.join(self.root, '.local', 'share', 'systemd', 'user',
                            'devstack@%s.service' % service)

    def apache_site(self, name):
        return os.path.join(self.root, 'apache', '%s.conf' % name)

    # Runs ----------------------------------------------------------------

    def run(self, *steps, check=True, env=None, timeout=600):
        """Run the plugins through ``steps`` in one bash process, like one
        run of stack.sh (or unstack.sh, clean.sh).

        Its own process group, ended afterwards: an async job of devstack
        left behind by a failed run waits on its fifo forever.
        """
        out_path = os.path.join(self.root, 'run.out')
        err_path = os.path.join(self.root, 'run.err')
        with open(out_path, 'w') as out, open(err_path, 'w') as err:
            process = subprocess.Popen(
                ['bash', os.path.join(HERE, 'run_phases.sh'), *steps],
                env=dict(self.env, **(env or {})), stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                returncode = 'timeout'
            finally:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        with open(out_path, encoding='utf-8', errors='replace') as f:
            stdout = f.read()
        with open(err_path, encoding='utf-8', errors='replace') as f:
            stderr = f.read()
        result = subprocess.CompletedProcess(process.args, returncode,
                                             stdout, stderr)
        if check and returncode != 0:
            raise PhaseFailed('%s failed (exit %s):\n%s\n%s' % (
                ' '.join(steps), returncode, stdout[-6000:],
                stderr[-6000:]))
        return result

    def records(self, name=None):
        """The recorded calls, as tuples (function, arg...), in order."""
        if not os.path.exists(self.record_file):
            return []
        with open(self.record_file, encoding='utf-8') as f:
            calls = [tuple(line.rstrip('\n').split('\x1f'))
                     for line in f if line.strip()]
        if name is None:
            return calls
        return [call for call in calls if call[0] == name]

    def index(self, call):
        """Position of the first recorded call equal to ``call``."""
        return self.records().index(tuple(call))

    def clear_records(self):
        if os.path.exists(self.record_file):
            os.unlink(self.record_file)
