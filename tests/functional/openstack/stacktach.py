"""stacktach-ng's listener, verifier and API against the cloud, through
their console scripts only.

The configuration is the stacktach-ng.conf the devstack plugin wrote for
this cloud (topic, exchanges, Keystone auth), with what a devstack would
have filled in: the cloud's transport URL, a MariaDB database, the cloud's
Keystone and the ``stacktach`` service user. The verifier settles for a
few seconds instead of minutes, so that the scenario's audit records are
verified within the test.
"""

import json
import os
import shutil
import subprocess
import sys

import requests

from tests.functional.devstack import ini
from tests.functional.openstack import processes

BIN_DIR = os.path.dirname(sys.executable)
VERIFIER_SETTLE_SECONDS = 5


class Stacktach:

    def __init__(self, workdir, cloud, database_url):
        self.workdir = os.path.join(workdir, 'stacktach-ng')
        os.makedirs(self.workdir, exist_ok=True)
        self.cloud = cloud
        self.database_url = database_url
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf = os.path.join(self.workdir, 'stacktach-ng.conf')
        self.services = {}
        self.http = requests.Session()

    def configure(self):
        shutil.copy(self.cloud.paths['stacktach_plugin'], self.conf)
        password = self.cloud.create_service_user('stacktach')
        settings = {
            'DEFAULT': {'transport_url': self.cloud.infra.transport_url,
                        'state_path': self.workdir, 'debug': 'True'},
            'oslo_messaging_notifications': {
                'transport_url': self.cloud.infra.transport_url},
            'database': {'connection': self.database_url},
            'api': {'host': '127.0.0.1', 'port': str(self.port)},
            'verifier': {'settle_delay': str(VERIFIER_SETTLE_SECONDS),
                         'interval': '5'},
            'keystone_authtoken': {
                'www_authenticate_uri': self.cloud.keystone_url,
                'auth_url': self.cloud.keystone_url,
                'password': password},
        }
        for section, options in settings.items():
            for option, value in options.items():
                ini.set_value(self.conf, section, option, value)
        # No memcached here.
        ini.delete(self.conf, 'keystone_authtoken', 'memcached_servers')
        return self

    def _script(self, name):
        return os.path.join(BIN_DIR, name)

    def start(self):
        processes.run([self._script('stacktach-ng-manage'), '--config-file',
                       self.conf, 'db', 'upgrade'], os.environ.copy(),
                      self.workdir, 'stacktach-ng-manage')
        for name in ('api', 'listener', 'verifier'):
            self.services[name] = processes.Service(
                'stacktach-ng-' + name,
                [self._script('stacktach-ng-' + name), '--config-file',
                 self.conf], os.environ.copy(), self.workdir).start()
        processes.wait_until(
            lambda: self.http.get(self.url + '/healthcheck',
                                  timeout=5).ok, 60,
            'stacktach-ng-api answering', alive=self.services.values())
        return self

    def stop(self):
        for service in self.services.values():
            service.stop()
        self.services = {}

    def get(self, path, **params):
        response = self.http.get(
            self.url + path, params=params, timeout=60,
            headers={'X-Auth-Token': self.cloud.admin.token()})
        response.raise_for_status()
        return response.json()

    def get_all(self, path, key, **params):
        """Every item of a paged list."""
        items = []
        params.setdefault('limit', 1000)
        while True:
            page = self.get(path, **params)
            items.extend(page[key])
            if not page.get('next'):
                return items
            params['marker'] = page['next'].rsplit('marker=', 1)[-1].split(
                '&')[0]

    def export(self):
        """Every stored notification (``stacktach-ng-manage export``)."""
        path = os.path.join(self.workdir, 'export.jsonl')
        result = subprocess.run(
            [self._script('stacktach-ng-manage'), '--config-file', self.conf,
             'export', '--output', path], capture_output=True, text=True,
            timeout=300)
        if result.returncode:
            raise processes.ProcessFailed('export: %s' % result.stderr[-2000:])
        with open(path, encoding='utf-8') as f:
            return [json.loads(line) for line in f if line.strip()]
