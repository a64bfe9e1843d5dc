"""Bring up (and tear down) the OpenStack control plane of the tests.

``Cloud(workdir)``:

* ``prepare()`` builds or reuses the virtualenvs (``venvs``), creates the
  RabbitMQ vhost and the MariaDB databases (``infra``) and writes the
  configuration files, with the devstack plugin's notification settings
  (``configs``). Nothing is running yet: a consumer that must see every
  notification binds its queue now.
* ``start()`` starts Keystone, Placement, Glance, neutron-server (WSGI
  apps under gunicorn on free loopback ports), nova-api, nova-conductor,
  nova-scheduler and the compute hosts ``compute1`` and ``compute2``
  (``failing_fake_driver``), registers the services, users and endpoints,
  maps the cells and discovers the hosts, then creates a tiny image and
  the flavors of the scenario through the ``openstack`` client.
* ``stop()`` stops every process and deletes the vhost and the databases.
"""

import grp
import json
import os
import pwd
import shutil
import subprocess
import uuid
from concurrent import futures

import requests

from tests.functional.openstack import configs
from tests.functional.openstack import infra
from tests.functional.openstack import processes
from tests.functional.openstack import rest
from tests.functional.openstack import venvs

HERE = os.path.dirname(os.path.abspath(__file__))
CLOUDSIDE = os.path.join(HERE, 'cloudside')
COMPUTE_HOSTS = ('compute1', 'compute2')
COMPUTE_DRIVER = 'failing_fake_driver.FailFirstSpawnDriver'
REGION = 'RegionOne'

# The flavors of the scenario. The fake hosts have 8 GiB of RAM each
# (12 GiB with nova's default RAM allocation ratio): ``huge`` fits no
# host yet stays below nova's default RAM quota of 50 GiB, so the
# scheduler, not the API, refuses it.
FLAVORS = {
    'tiny': {'ram': 64, 'vcpus': 1, 'disk': 1},
    'small': {'ram': 128, 'vcpus': 1, 'disk': 1},
    'huge': {'ram': 16384, 'vcpus': 1, 'disk': 1},
}
IMAGE_NAME = 'tiny-image'

# service name: (type, WSGI application, url suffix, user)
_WSGI_SERVICES = {
    'keystone': ('identity', 'keystone.wsgi.api:application', '/v3', None),
    'placement': ('placement', 'placement.wsgi.api:application', '',
                  'placement'),
    'glance': ('image', 'glance.wsgi.api:application', '', 'glance'),
    'neutron': ('network', 'neutron.wsgi.api:application', '', 'neutron'),
    'nova-api': ('compute', 'nova.wsgi.osapi_compute:application', '/v2.1',
                 'nova'),
}


class Cloud:

    def __init__(self, workdir):
        self.workdir = os.path.abspath(workdir)
        self.logdir = os.path.join(self.workdir, 'logs')
        os.makedirs(self.logdir, exist_ok=True)
        self.infra = infra.Infrastructure()
        self.admin_password = uuid.uuid4().hex
        self.service_password = uuid.uuid4().hex
        self.ports = {name: processes.free_port() for name in _WSGI_SERVICES}
        self.urls = {name: 'http://127.0.0.1:%d%s' % (
            self.ports[name], spec[2])
            for name, spec in _WSGI_SERVICES.items()}
        self.services = {}
        self.venv = None
        self.neutron_venv = None
        self.paths = None
        self.compute_configs = {}
        self.admin = None
        self.flavor_ids = {}
        self.image_id = None

    # -- preparation ---------------------------------------------------

    @property
    def keystone_url(self):
        return self.urls['keystone']

    def prepare(self):
        # Built side by side: most of a build is waiting on downloads.
        with futures.ThreadPoolExecutor(2) as pool:
            cloud_venv = pool.submit(venvs.ensure, 'cloud')
            neutron_venv = pool.submit(venvs.ensure, 'neutron')
            self.venv = cloud_venv.result()
            self.neutron_venv = neutron_venv.result()
        self.infra.create_vhost()
        self.infra.create_databases()
        values = {
            'transport_url': self.infra.transport_url,
            'keystone_url': self.keystone_url,
            'glance_url': self.urls['glance'],
            'service_password': self.service_password,
        }
        for name in ('keystone', 'placement', 'glance', 'neutron',
                     'nova_api', 'nova'):
            values['db_%s' % name] = self.infra.database_url(name)
        self.paths = configs.write_all(self.workdir, values)
        for host in COMPUTE_HOSTS:
            self.compute_configs[host] = configs.write_compute(
                self.workdir, self.paths['nova'], host, COMPUTE_DRIVER)
        self._copy_paste_files()
        return self

    def _copy_paste_files(self):
        shutil.copy(os.path.join(self.venv, 'etc', 'nova', 'api-paste.ini'),
                    os.path.join(self.workdir, 'nova'))
        shutil.copy(os.path.join(self.venv, 'etc', 'glance',
                                 'glance-api-paste.ini'),
                    os.path.join(self.workdir, 'glance'))
        shutil.copy(os.path.join(self.neutron_venv, 'etc', 'neutron',
                                 'api-paste.ini'),
                    os.path.join(self.workdir, 'neutron'))

    def env(self, **extra):
        """The environment of the cloud's processes."""
        environ = {key: value for key, value in os.environ.items()
                   if not key.startswith(('OS_', 'VIRTUAL_ENV',
                                          'PYTHON'))}
        environ['PYTHONPATH'] = CLOUDSIDE
        environ['STACKTACH_TEST_FAULT_DIR'] = os.path.join(
            self.workdir, 'fault-markers')
        environ.update(extra)
        return environ

    def _run(self, venv, program, *args, name=None, **env):
        processes.run([venvs.bin_path(venv, program)] + list(args),
                      self.env(**env), self.logdir, name or program)

    # -- start -----------------------------------------------------------

    def start(self):
        # The schemas do not need Keystone: they are built while it starts.
        with futures.ThreadPoolExecutor(4) as pool:
            syncs = [pool.submit(sync) for sync in (
                self._sync_placement, self._sync_glance, self._sync_neutron,
                self._sync_nova)]
            self._start_keystone()
            self._register_catalog()
            for sync in syncs:
                sync.result()
        self._start_placement()
        self._start_glance()
        self._start_neutron()
        self._start_nova()
        self._create_resources()
        return self

    def _gunicorn(self, name, venv, **env):
        app = _WSGI_SERVICES[name][1]
        argv = [venvs.bin_path(venv, 'gunicorn'),
                '--bind', '127.0.0.1:%d' % self.ports[name],
                '--workers', '1', '--threads', '4',
                '--worker-class', 'gthread', '--timeout', '300',
                # gunicorn closes an idle connection after 2 s by default,
                # the very interval at which openstacksdk polls: a request
                # sent on a pooled connection as the server closes it gets
                # no answer (RemoteDisconnected). Keep idle connections
                # longer than any poll of the scenario, as Apache does.
                '--keep-alive', '75',
                '--no-control-socket', '--pythonpath', CLOUDSIDE,
                '--name', name, 'wsgi_entry:application']
        service = processes.Service(
            name, argv, self.env(STACKTACH_TEST_WSGI_APP=app, **env),
            self.logdir, cwd=self.workdir).start()
        self.services[name] = service
        return service

    def _daemon(self, name, venv, program, *args):
        service = processes.Service(
            name, [venvs.bin_path(venv, program)] + list(args), self.env(),
            self.logdir, cwd=self.workdir).start()
        self.services[name] = service
        return service

    def _wait_http(self, name, url, timeout=120, expect=(200, 300, 401)):
        service = self.services[name]
        processes.wait_until(
            lambda: requests.get(url, timeout=5).status_code in expect,
            timeout, '%s answering at %s' % (name, url), alive=[service])

    def _start_keystone(self):
        conf = self.paths['keystone']
        for directory in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(self.workdir, 'keystone', directory),
                        exist_ok=True)
        # The key directories belong to whoever runs the tests.
        owner = ['--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
        manage = ('keystone-manage', '--config-file', conf)
        self._run(self.venv, *manage, 'db_sync', name='keystone-manage')
        self._run(self.venv, *manage, 'fernet_setup', *owner,
                  name='keystone-manage')
        self._run(self.venv, *manage, 'credential_setup', *owner,
                  name='keystone-manage')
        self._run(self.venv, *manage, 'bootstrap',
                  '--bootstrap-password', self.admin_password,
                  '--bootstrap-admin-url', self.keystone_url,
                  '--bootstrap-public-url', self.keystone_url,
                  '--bootstrap-internal-url', self.keystone_url,
                  '--bootstrap-region-id', REGION, name='keystone-manage')
        self._gunicorn('keystone', self.venv,
                       OS_KEYSTONE_CONFIG_FILES=conf)
        self._wait_http('keystone', self.keystone_url)
        self.admin = rest.Client(self.keystone_url, 'admin',
                                 self.admin_password)

    def _register_catalog(self):
        url = self.keystone_url
        admin = self.admin
        project = admin.post(url + '/projects', {'project': {
            'name': 'service', 'domain_id': 'default'}})['project']['id']
        roles = {role['name']: role['id']
                 for role in admin.get(url + '/roles')['roles']}
        if 'service' not in roles:
            roles['service'] = admin.post(url + '/roles', {'role': {
                'name': 'service'}})['role']['id']
        for name, (kind, _, _, user) in _WSGI_SERVICES.items():
            if user is None:
                continue
            user_id = admin.post(url + '/users', {'user': {
                'name': user, 'password': self.service_password,
                'domain_id': 'default',
                'default_project_id': project}})['user']['id']
            for role in ('admin', 'service'):
                admin.request('PUT', '%s/projects/%s/users/%s/roles/%s' % (
                    url, project, user_id, roles[role]))
            service_id = admin.post(url + '/services', {'service': {
                'name': name.split('-')[0], 'type': kind}})['service']['id']
            for interface in ('public', 'internal'):
                admin.post(url + '/endpoints', {'endpoint': {
                    'service_id': service_id, 'interface': interface,
                    'region_id': REGION, 'url': self.urls[name]}})

    def create_service_user(self, name):
        """A user of the service project with the service role; returns
        its password."""
        url = self.keystone_url
        password = uuid.uuid4().hex
        project = self.admin.get(url + '/projects?name=service')[
            'projects'][0]['id']
        role = self.admin.get(url + '/roles?name=service')['roles'][0]['id']
        user = self.admin.post(url + '/users', {'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project}})['user']['id']
        self.admin.request('PUT', '%s/projects/%s/users/%s/roles/%s' % (
            url, project, user, role))
        return password

    def _sync_placement(self):
        self._run(self.venv, 'placement-manage', '--config-file',
                  self.paths['placement'], 'db', 'sync')

    def _start_placement(self):
        conf = self.paths['placement']
        self._gunicorn('placement', self.venv,
                       OS_PLACEMENT_CONFIG_DIR=os.path.dirname(conf))
        self._wait_http('placement', self.urls['placement'])

    def _sync_glance(self):
        self._run(self.venv, 'glance-manage', '--config-file',
                  self.paths['glance'], 'db_sync')

    def _start_glance(self):
        conf = self.paths['glance']
        for directory in ('images', 'staging', 'tasks', 'locks'):
            os.makedirs(os.path.join(self.workdir, 'glance', directory),
                        exist_ok=True)
        self._gunicorn('glance', self.venv,
                       OS_GLANCE_CONFIG_DIR=os.path.dirname(conf))
        self._wait_http('glance', self.urls['glance'])

    def _sync_neutron(self):
        self._run(self.neutron_venv, 'neutron-db-manage', '--config-file',
                  self.paths['neutron'], '--config-file',
                  self.paths['neutron_ml2'], 'upgrade', 'heads')

    def _start_neutron(self):
        conf = self.paths['neutron']
        os.makedirs(os.path.join(self.workdir, 'neutron', 'locks'),
                    exist_ok=True)
        self._gunicorn('neutron', self.neutron_venv,
                       OS_NEUTRON_CONFIG_DIR=os.path.dirname(conf),
                       OS_NEUTRON_CONFIG_FILES='neutron.conf;ml2_conf.ini')
        self._wait_http('neutron', self.urls['neutron'])
        # neutron 29 with SQLAlchemy 2.1: the first port query of a fresh
        # worker can fail until the mappers are all configured.
        processes.wait_until(
            lambda: self.admin.get(self.urls['neutron'] + '/v2.0/ports')
            is not None, 60, 'neutron listing ports',
            alive=[self.services['neutron']])

    def _sync_nova(self):
        manage = ('nova-manage', '--config-file', self.paths['nova'])
        self._run(self.venv, *manage, 'api_db', 'sync')
        self._run(self.venv, *manage, 'cell_v2', 'map_cell0',
                  '--database_connection',
                  self.infra.database_url('nova_cell0'))
        self._run(self.venv, *manage, 'cell_v2', 'create_cell',
                  '--name', 'cell1')
        self._run(self.venv, *manage, 'db', 'sync')

    def _start_nova(self):
        conf = self.paths['nova']
        nova_dir = os.path.join(self.workdir, 'nova')
        for host in COMPUTE_HOSTS:
            os.makedirs(os.path.join(nova_dir, host, 'locks'), exist_ok=True)
        os.makedirs(os.path.join(nova_dir, 'locks'), exist_ok=True)
        manage = ('nova-manage', '--config-file', conf)
        self._gunicorn('nova-api', self.venv,
                       OS_NOVA_CONFIG_DIR=nova_dir,
                       OS_NOVA_CONFIG_FILES='api-paste.ini;nova.conf')
        self._daemon('nova-conductor', self.venv, 'nova-conductor',
                     '--config-file', conf)
        self._daemon('nova-scheduler', self.venv, 'nova-scheduler',
                     '--config-file', conf)
        for host in COMPUTE_HOSTS:
            self._daemon('nova-compute-%s' % host, self.venv,
                         'nova-compute', '--config-file',
                         self.compute_configs[host])
        self._wait_http('nova-api', self.urls['nova-api'])
        alive = [self.services[name] for name in self.services]

        def hosts_discovered():
            self._run(self.venv, *manage, 'cell_v2', 'discover_hosts')
            found = self.admin.get(self.urls['nova-api']
                                   + '/os-hypervisors')['hypervisors']
            up = {h['hypervisor_hostname'] for h in found
                  if h['state'] == 'up'}
            return up == set(COMPUTE_HOSTS)

        processes.wait_until(hosts_discovered, 180,
                             'both compute hosts up and mapped',
                             interval=3, alive=alive)

    # -- the openstack client --------------------------------------------

    def client_env(self):
        return self.env(
            OS_AUTH_URL=self.keystone_url, OS_USERNAME='admin',
            OS_PASSWORD=self.admin_password, OS_PROJECT_NAME='admin',
            OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
            OS_IDENTITY_API_VERSION='3', OS_REGION_NAME=REGION,
            OS_INTERFACE='public',
            OS_COMPUTE_API_VERSION=rest.COMPUTE_MICROVERSION)

    def openstack(self, *args, parse=True, timeout=300):
        """Run ``openstack ARGS`` (``-f json`` added when ``parse``)."""
        argv = [venvs.bin_path(self.venv, 'openstack')] + list(args)
        if parse:
            argv += ['-f', 'json']
        result = subprocess.run(argv, env=self.client_env(),
                                capture_output=True, text=True,
                                timeout=timeout)
        with open(os.path.join(self.logdir, 'openstack-client.log'),
                  'a') as log:
            log.write('$ openstack %s\n%s%s' % (' '.join(args),
                                               result.stdout,
                                               result.stderr))
        if result.returncode:
            raise processes.ProcessFailed('openstack %s: %s' % (
                ' '.join(args), result.stderr[-2000:]))
        return json.loads(result.stdout) if parse and result.stdout else None

    def _create_resources(self):
        image = os.path.join(self.workdir, 'tiny.img')
        with open(image, 'wb') as f:
            f.write(b'\0' * 1024)
        self.image_id = self.openstack(
            'image', 'create', '--file', image, '--disk-format', 'raw',
            '--container-format', 'bare', '--public', IMAGE_NAME)['id']
        for name, spec in FLAVORS.items():
            self.flavor_ids[name] = self.openstack(
                'flavor', 'create', '--ram', str(spec['ram']),
                '--vcpus', str(spec['vcpus']), '--disk', str(spec['disk']),
                name)['id']

    # -- stop ------------------------------------------------------------

    def stop(self):
        # All at once: each one's graceful stop takes seconds.
        for service in self.services.values():
            service.terminate()
        for name in reversed(list(self.services)):
            self.services[name].stop()
        self.services = {}
        self.infra.release()

    def usage_audit(self, host, period):
        """nova-compute's own usage audit for ``host`` and ``period``."""
        processes.run(
            [venvs.bin_path(self.venv, 'python'),
             os.path.join(CLOUDSIDE, 'usage_audit.py'), host, period,
             '--config-file', self.paths['nova']],
            self.env(), self.logdir, 'usage-audit')
