"""Run the devstack plugin's phases against a fake devstack.

``FakeDevstack`` lays out a temporary devstack: the plugin repository in
``$DEST``, the config files devstack writes for nova, glance, cinder,
neutron and keystone before the plugin's post-config phase, and the
globals devstack defines. ``run()`` runs ``run_phases.sh`` in a bash
subprocess, which sources ``stubs.sh`` (devstack's functions: real ini
edits, recorders for the rest) and then the plugins phase after phase.
"""

import getpass
import os
import subprocess
import sys

from tests.functional.devstack import ini

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FAKE_HEAT = os.path.join(HERE, 'fake_heat')

HOST = '10.0.0.5'
RABBIT = 'rabbit://stackrabbit:secretrabbit@%s:5672/' % HOST

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


class FakeDevstack:
    """A temporary devstack for the plugin, with its records."""

    def __init__(self, root, services=DEFAULT_SERVICES, heat_first=False,
                 configs=None, **variables):
        self.root = str(root)
        self.dest = os.path.join(self.root, 'opt-stack')
        self.etc = os.path.join(self.root, 'etc')
        self.record_file = os.path.join(self.root, 'record')
        self.db_dir = os.path.join(self.root, 'databases')
        for path in (self.dest, self.etc, self.db_dir,
                     os.path.join(self.dest, 'data')):
            os.makedirs(path, exist_ok=True)
        os.symlink(REPO_ROOT, os.path.join(self.dest, 'stacktach-ng'))
        configs = DEVSTACK_CONFIGS if configs is None else configs
        for name, text in configs.items():
            self.write_config(name, text)

        plugins = ['stacktach-ng=%s' % os.path.join(self.dest,
                                                    'stacktach-ng'),
                   'heat=%s' % FAKE_HEAT]
        if heat_first:
            plugins.reverse()
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': self.root,
            'STUB_PLUGINS': ' '.join(plugins),
            'STUB_RECORD': self.record_file,
            'STUB_PYTHON': sys.executable,
            'STUB_INI': ini.__file__,
            'STUB_BIN_DIR': os.path.dirname(sys.executable),
            'STUB_DB_DIR': self.db_dir,
            'STUB_ETC': self.etc,
            'ENABLED_SERVICES': services,
            'DEST': self.dest,
            'DATA_DIR': os.path.join(self.dest, 'data'),
            'STACK_USER': getpass.getuser(),
            'SERVICE_HOST': HOST,
            'SERVICE_PROTOCOL': 'http',
            'SERVICE_LISTEN_ADDRESS': '0.0.0.0',
            'SERVICE_TIMEOUT': '60',
            'REGION_NAME': 'RegionOne',
            'RABBIT_HOST': HOST,
            'DATABASE_TYPE': 'mysql',
            'DATABASE_BACKENDS': ' mysql postgresql',
            'DATABASE_HOST': HOST,
            'DATABASE_USER': 'root',
            'DATABASE_PASSWORD': 'secretdb',
            'MYSQL_HOST': HOST,
            'KEYSTONE_SERVICE_HOST': HOST,
            'KEYSTONE_SERVICE_URI': 'http://%s/identity' % HOST,
            'SERVICE_PASSWORD': 'secretservice',
            'SERVICE_DOMAIN_NAME': 'Default',
            'SERVICE_PROJECT_NAME': 'service',
            'MEMCACHE_SERVERS': 'localhost:11211',
            'ENABLE_DEBUG_LOG_LEVEL': 'True',
            'API_WORKERS': '2',
            'NOVA_CONF_DIR': os.path.join(self.etc, 'nova'),
            'NOVA_CONF': self.path('nova/nova.conf'),
            'NOVA_NUM_CELLS': '1',
            'GLANCE_API_CONF': self.path('glance/glance-api.conf'),
            'CINDER_CONF': self.path('cinder/cinder.conf'),
            'NEUTRON_CONF': self.path('neutron/neutron.conf'),
            'KEYSTONE_CONF': self.path('keystone/keystone.conf'),
            'STACKTACH_CONF_DIR': self.path('stacktach-ng'),
        }
        self.env.update(variables)

    def path(self, name):
        """Path of a config file under the fake /etc."""
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

    def run(self, *steps):
        """Run the plugins through ``steps`` in one bash process, like one
        run of stack.sh (or unstack.sh, clean.sh)."""
        result = subprocess.run(
            ['bash', os.path.join(HERE, 'run_phases.sh'), *steps],
            env=self.env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise PhaseFailed('%s failed (exit %d):\n%s\n%s' % (
                ' '.join(steps), result.returncode, result.stdout[-4000:],
                result.stderr[-4000:]))
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
