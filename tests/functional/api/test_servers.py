"""The API served for real: ``stacktach-ng-api`` (development server) and
``stacktach_ng.wsgi.api:application`` under gunicorn."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.fixtures import processes


@pytest.fixture
def config(tmp_path):
    port = processes.free_port()
    path = tmp_path / 'stacktach-ng.conf'
    path.write_text(
        '[DEFAULT]\nstate_path = %s\n[api]\nauth_strategy = noauth\n'
        'host = 127.0.0.1\nport = %d\n[database]\n'
        'connection = sqlite:///%s/api.sqlite\n' % (tmp_path, port, tmp_path))
    conf = base.make_conf(args=['--config-file', str(path)])
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.dispose()
    return str(path), 'http://127.0.0.1:%d' % port


def _wait(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            # gunicorn accepts connections before its worker has loaded
            # the application: a read can wait for that.
            return requests.get(url + '/healthcheck', timeout=10)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError('the server did not answer')


def _check(url):
    assert requests.get(url + '/v1/notifications',
                        timeout=10).json() == {'notifications': [],
                                               'next': None}
    # Concurrent requests are served (threaded server).
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(
            lambda _: requests.get(url + '/v1/hosts', timeout=10)
            .status_code, range(16)))
    assert statuses == [200] * 16


def test_development_server(config):
    path, url = config
    process = subprocess.Popen(
        [sys.executable, '-c', 'import sys; from stacktach_ng.cmd import '
         'api; sys.exit(api.main())', '--config-file', path],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _wait(url, process).status_code == 200
        _check(url)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_wsgi_module_under_gunicorn(config):
    path, url = config
    gunicorn = shutil.which('gunicorn', path=os.path.dirname(sys.executable))
    # A test requirement: its absence is a broken environment, not a
    # missing service.
    assert gunicorn is not None, (
        'gunicorn (test-requirements.txt) is not installed beside %s'
        % sys.executable)
    process = subprocess.Popen(
        [gunicorn, '--bind', url.split('//')[1], '--workers', '1',
         '--threads', '4', '--worker-class', 'gthread',
         '--no-control-socket', 'stacktach_ng.wsgi.api:application'],
        env=dict(os.environ, STACKTACH_NG_CONFIG_FILES=path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _wait(url, process).status_code == 200
        _check(url)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
