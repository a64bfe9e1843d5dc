"""A real Keystone on a loopback port, for ``bench api`` and the
functional tests.

Keystone runs from a virtualenv of its own (its dependencies never touch
stacktach-ng's), created on first use and kept for the next runs, and is
served by gunicorn on a free loopback port with a SQLite database in a
work directory. Bootstrapping it takes 10-20 s once the virtualenv exists.

Usage::

    keystone = keystone.Keystone(work_dir)
    keystone.start()                       # installs Keystone when needed
    project = keystone.create_project('project-a')
    keystone.create_user('alice', 'pw', project, roles=['reader'])
    token = keystone.token('alice', 'pw', project_id=project)
    keystone.register_service('http://127.0.0.1:8799/')  # type stacktach
    authtoken = keystone.authtoken_options()  # [keystone_authtoken]
    ...
    keystone.stop()

Attributes: ``url`` (``http://127.0.0.1:<port>``), ``auth_url``
(``<url>/v3``), ``admin_password`` (of the bootstrap user ``admin``, an
admin of project ``admin``), ``service_user``/``service_password`` (a user
with the ``service`` role in project ``service``, for keystonemiddleware),
``roles`` (name -> id).

Where the virtualenv lives: the ``venv`` argument, else
``STACKTACH_KEYSTONE_VENV``, by default
``~/.cache/stacktach-ng/keystone-venv``. A missing or broken one is
(re)created with ``python -m venv`` and ``pip install keystone gunicorn``
(a few minutes on a fresh machine); a file lock keeps parallel users from
building it twice.
"""

import fcntl
import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import uuid

import requests

from stacktach_ng.bench import procs

VENV_ENV = 'STACKTACH_KEYSTONE_VENV'
DEFAULT_VENV = os.path.join(os.path.expanduser('~'), '.cache',
                            'stacktach-ng', 'keystone-venv')
PACKAGES = ('keystone', 'gunicorn')
SERVICE_TYPE = 'stacktach'
REGION = 'RegionOne'

_CONFIG = """[DEFAULT]
debug = false
log_file = {workdir}/keystone.log

[database]
connection = sqlite:///{workdir}/keystone.sqlite

[fernet_tokens]
key_repository = {workdir}/fernet-keys

[fernet_receipts]
key_repository = {workdir}/fernet-keys

[credential]
key_repository = {workdir}/credential-keys

[token]
provider = fernet
expiration = 7200
"""

_WSGI_SHIM = """import sys

sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402,F401
"""


class KeystoneError(Exception):
    """Keystone could not be installed, started or called."""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def venv_path():
    return os.environ.get(VENV_ENV) or DEFAULT_VENV


def ensure_venv(path=None, timeout=900):
    """The path of a virtualenv with Keystone and gunicorn, built when
    missing."""
    path = path or venv_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _venv_ready(path):
            return path
        shutil.rmtree(path, ignore_errors=True)
        try:
            subprocess.run([sys.executable, '-m', 'venv', path],
                           check=True, capture_output=True, timeout=120)
            subprocess.run(
                [os.path.join(path, 'bin', 'pip'), 'install', '-q',
                 *PACKAGES], check=True, capture_output=True,
                timeout=timeout)
        except (subprocess.CalledProcessError,
                subprocess.TimeoutExpired) as error:
            output = getattr(error, 'stderr', b'') or b''
            shutil.rmtree(path, ignore_errors=True)
            raise KeystoneError('cannot install %s into %s: %s' % (
                ' '.join(PACKAGES), path,
                output.decode(errors='replace')[-2000:])) from error
        if not _venv_ready(path):
            raise KeystoneError('%s has no keystone-manage after install'
                                % path)
        return path


def _venv_ready(path):
    return all(os.access(os.path.join(path, 'bin', name), os.X_OK)
               for name in ('keystone-manage', 'gunicorn'))


class Keystone:
    """A Keystone process with its own database and keys."""

    def __init__(self, workdir, venv=None, admin_password=None):
        self.workdir = workdir
        self.venv = venv
        self.admin_password = admin_password or uuid.uuid4().hex
        self.service_user = 'stacktach'
        self.service_password = uuid.uuid4().hex
        self.port = None
        self.url = None
        self.auth_url = None
        self.roles = {}
        self._process = None
        self._admin_token = None
        self._http = requests.Session()

    # -- life cycle ----------------------------------------------------

    @staticmethod
    def default_venv():
        """The virtualenv used when none was given."""
        return venv_path()

    def start(self, timeout=90):
        """Install (when needed), configure, bootstrap and serve."""
        self.venv = ensure_venv(self.venv or self.default_venv())
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.auth_url = self.url + '/v3'
        config = os.path.join(self.workdir, 'keystone.conf')
        with open(config, 'w') as f:
            f.write(_CONFIG.format(workdir=self.workdir))
        for directory in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(self.workdir, directory),
                        exist_ok=True)
        manage = [os.path.join(self.venv, 'bin', 'keystone-manage'),
                  '--config-file', config]
        # The key directories belong to whoever runs the tests.
        owner = ['--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
        for command in (['db_sync'],
                        ['fernet_setup'] + owner,
                        ['credential_setup'] + owner,
                        ['bootstrap',
                         '--bootstrap-password', self.admin_password,
                         '--bootstrap-admin-url', self.auth_url,
                         '--bootstrap-public-url', self.auth_url,
                         '--bootstrap-internal-url', self.auth_url,
                         '--bootstrap-region-id', REGION]):
            self._run(manage + command)
        # Keystone parses sys.argv with oslo.config when it loads: hide
        # gunicorn's own command line from it.
        with open(os.path.join(self.workdir, 'keystone_wsgi.py'), 'w') as f:
            f.write(_WSGI_SHIM)
        environ = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=config)
        log = open(os.path.join(self.workdir, 'gunicorn.log'), 'wb')
        self._process = subprocess.Popen(
            [os.path.join(self.venv, 'bin', 'gunicorn'),
             '--bind', '127.0.0.1:%d' % self.port, '--workers', '1',
             '--threads', '4', '--worker-class', 'gthread',
             '--timeout', '120', '--no-control-socket',
             '--chdir', self.workdir, 'keystone_wsgi:application'],
            env=environ, stdout=log, stderr=subprocess.STDOUT,
            cwd=self.workdir, start_new_session=True)
        log.close()
        self._wait(timeout)
        self._setup_service_user()
        return self

    def stop(self):
        """Stop gunicorn (and its worker)."""
        if self._process is None:
            return
        procs.stop_group(self._process)
        self._process = None
        self._http.close()

    def _run(self, command):
        result = subprocess.run(command, capture_output=True,
                                cwd=self.workdir, timeout=300)
        if result.returncode:
            raise KeystoneError('%s failed: %s' % (
                ' '.join(command[2:4]),
                result.stderr.decode(errors='replace')[-2000:]))

    def _wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise KeystoneError('gunicorn exited: %s' % self.log_tail())
            try:
                if self._http.get(self.auth_url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise KeystoneError('Keystone did not answer within %ds: %s'
                            % (timeout, self.log_tail()))

    def log_tail(self, size=3000):
        text = ''
        for name in ('gunicorn.log', 'keystone.log'):
            try:
                with open(os.path.join(self.workdir, name), 'rb') as f:
                    text += f.read()[-size:].decode(errors='replace')
            except OSError:
                pass
        return text

    # -- identity API --------------------------------------------------

    def _request(self, method, path, token=None, expect=(200, 201, 204),
                 **kwargs):
        headers = {'X-Auth-Token': token or self.admin_token()}
        response = self._http.request(method, self.auth_url + path,
                                      headers=headers, timeout=30, **kwargs)
        if response.status_code not in expect:
            raise KeystoneError('%s %s: %d %s' % (
                method, path, response.status_code, response.text[:500]))
        return response.json() if response.content else None

    def token(self, username, password, project_id=None, system=False,
              domain='default'):
        """Issue a token; project-scoped, system-scoped or unscoped."""
        auth = {'identity': {'methods': ['password'], 'password': {
            'user': {'name': username, 'domain': {'id': domain},
                     'password': password}}}}
        if project_id is not None:
            auth['scope'] = {'project': {'id': project_id}}
        elif system:
            auth['scope'] = {'system': {'all': True}}
        response = self._http.post(self.auth_url + '/auth/tokens',
                                   json={'auth': auth}, timeout=30)
        if response.status_code != 201:
            raise KeystoneError('token for %s: %d %s' % (
                username, response.status_code, response.text[:500]))
        return response.headers['X-Subject-Token']

    def admin_token(self):
        if self._admin_token is None:
            auth = {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'admin', 'domain': {'id': 'default'},
                         'password': self.admin_password}}},
                    'scope': {'project': {'name': 'admin',
                                          'domain': {'id': 'default'}}}}
            response = self._http.post(self.auth_url + '/auth/tokens',
                                       json={'auth': auth}, timeout=30)
            if response.status_code != 201:
                raise KeystoneError('admin token: %d %s' % (
                    response.status_code, response.text[:500]))
            self._admin_token = response.headers['X-Subject-Token']
        return self._admin_token

    def role_id(self, name):
        if name not in self.roles:
            found = self._request('GET', '/roles', params={'name': name})
            if found['roles']:
                self.roles[name] = found['roles'][0]['id']
            else:
                self.roles[name] = self._request(
                    'POST', '/roles', json={'role': {'name': name}}
                )['role']['id']
        return self.roles[name]

    def create_project(self, name):
        """Create a project in the default domain; returns its id."""
        return self._request('POST', '/projects', json={'project': {
            'name': name, 'domain_id': 'default'}})['project']['id']

    def project_id(self, name):
        found = self._request('GET', '/projects', params={'name': name})
        return found['projects'][0]['id']

    def create_user(self, name, password, project_id=None, roles=(),
                    system_roles=()):
        """Create a user with roles on a project and/or on the system;
        returns its id."""
        user_id = self._request('POST', '/users', json={'user': {
            'name': name, 'password': password,
            'domain_id': 'default'}})['user']['id']
        for role in roles:
            self._request('PUT', '/projects/%s/users/%s/roles/%s' % (
                project_id, user_id, self.role_id(role)))
        for role in system_roles:
            self._request('PUT', '/system/users/%s/roles/%s' % (
                user_id, self.role_id(role)))
        return user_id

    def register_service(self, url, service_type=SERVICE_TYPE,
                         name='stacktach-ng'):
        """Add the service and its public/internal/admin endpoints."""
        service_id = self._request('POST', '/services', json={'service': {
            'type': service_type, 'name': name}})['service']['id']
        for interface in ('public', 'internal', 'admin'):
            self._request('POST', '/endpoints', json={'endpoint': {
                'service_id': service_id, 'interface': interface,
                'url': url, 'region_id': REGION}})
        return service_id

    def _setup_service_user(self):
        service_project = self.create_project('service')
        self.create_user(self.service_user, self.service_password,
                         service_project, roles=['service'])

    def authtoken_options(self):
        """``[keystone_authtoken]`` options for keystonemiddleware."""
        return {
            'www_authenticate_uri': self.auth_url,
            'auth_url': self.auth_url,
            'auth_type': 'password',
            'username': self.service_user,
            'password': self.service_password,
            'project_name': 'service',
            'user_domain_id': 'default',
            'project_domain_id': 'default',
            'region_name': REGION,
        }
