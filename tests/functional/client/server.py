"""The real processes of the CLI tests: ``stacktach-ng-api`` serving a
database filled by ``stacktach-ng-manage import``, and the ``openstack``
executable."""

import json
import os
import subprocess
import sys
import time

import requests

from tests.fixtures import processes

BIN = os.path.dirname(sys.executable)


def executable(name):
    return os.path.join(BIN, name)


def write_jsonl(path, messages):
    """Write messages as JSON lines (a form ``import`` reads)."""
    with open(path, 'w') as f:
        for message in messages:
            f.write(json.dumps(message) + '\n')
    return str(path)


class ApiProcess:
    """``stacktach-ng-api`` on a free loopback port with a SQLite
    database of its own.

    :param sections: extra config ``{section: {option: value}}``.
    """

    def __init__(self, workdir, auth_strategy='noauth', sections=None):
        self.workdir = str(workdir)
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.config = os.path.join(self.workdir, 'stacktach-ng.conf')
        self.log = os.path.join(self.workdir, 'api.log')
        self.process = None
        config = {
            'DEFAULT': {'state_path': self.workdir},
            'database': {'connection': 'sqlite:///%s/stacktach.sqlite'
                         % self.workdir},
            'api': {'host': '127.0.0.1', 'port': self.port,
                    'auth_strategy': auth_strategy},
        }
        for section, options in (sections or {}).items():
            config.setdefault(section, {}).update(options)
        with open(self.config, 'w') as f:
            for section, options in config.items():
                f.write('[%s]\n' % section)
                for name, value in options.items():
                    f.write('%s = %s\n' % (name, value))

    def manage(self, *args):
        result = subprocess.run(
            [executable('stacktach-ng-manage'), '--config-file',
             self.config, *args], capture_output=True, text=True,
            timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def prepare(self, *files):
        """Migrate the database and import ``files``."""
        self.manage('db', 'upgrade')
        if files:
            self.manage('import', *files)

    def start(self, timeout=60):
        with open(self.log, 'ab') as log:
            self.process = subprocess.Popen(
                [executable('stacktach-ng-api'), '--config-file',
                 self.config], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError('stacktach-ng-api exited: %s'
                                     % self.log_tail())
            try:
                if requests.get(self.url + '/', timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError('stacktach-ng-api did not answer: %s'
                             % self.log_tail())

    def stop(self):
        if self.process is None:
            return
        processes.stop_group(self.process)
        self.process = None

    def log_tail(self, size=3000):
        try:
            with open(self.log, 'rb') as f:
                return f.read()[-size:].decode(errors='replace')
        except OSError:
            return ''


def clean_environment(**variables):
    """The environment of an ``openstack`` run: none of the caller's
    ``OS_*`` variables, then ``variables``."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('OS_')}
    env.update({name: str(value) for name, value in variables.items()})
    return env


class OpenStack:
    """Runs the real ``openstack`` executable with an environment."""

    def __init__(self, **variables):
        self.env = clean_environment(**variables)

    def run(self, *args, check=True, timeout=120):
        result = subprocess.run([executable('openstack'), *args],
                                env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, (args, result.stderr)
        return result

    def json(self, *args):
        """The parsed ``-f json`` output of a command."""
        return json.loads(self.run(*args, '-f', 'json').stdout)

    def popen(self, *args):
        """A long-running command (``watch``), interruptible with
        SIGINT as from a terminal's Ctrl-C."""
        # A test runner started in the background ignores SIGINT, and its
        # children would inherit that: restore the default before exec so
        # that Python turns Ctrl-C into KeyboardInterrupt.
        return subprocess.Popen(
            [sys.executable, '-c', _DEFAULT_SIGINT_EXEC,
             executable('openstack'), *args], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


_DEFAULT_SIGINT_EXEC = (
    'import os, signal, sys; '
    'signal.signal(signal.SIGINT, signal.SIG_DFL); '
    'os.execv(sys.argv[1], sys.argv[1:])')
