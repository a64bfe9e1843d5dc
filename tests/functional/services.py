"""The real services functional tests run against, and their test databases.

A test that needs a service which is not there is skipped on a developer's
machine and fails when ``CI=true``: CI must never pass by skipping.

Where the services are (defaults are the machines' own services):

* ``STACKTACH_TEST_MYSQL_URL``  (``mysql+pymysql://root@127.0.0.1:3306``)
* ``STACKTACH_TEST_PG_URL``     (``postgresql+psycopg2://postgres@127.0.0.1:5432``)
* ``STACKTACH_TEST_RABBIT_URL`` (``rabbit://guest:guest@127.0.0.1:5672/``)
"""

import os
import socket
import urllib.parse
import uuid

import pytest
import sqlalchemy as sa

MYSQL_URL = os.environ.get('STACKTACH_TEST_MYSQL_URL',
                           'mysql+pymysql://root@127.0.0.1:3306')
PG_URL = os.environ.get('STACKTACH_TEST_PG_URL',
                        'postgresql+psycopg2://postgres@127.0.0.1:5432')
RABBIT_URL = os.environ.get('STACKTACH_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')

BACKENDS = ('sqlite', 'mysql', 'postgresql')


def in_ci():
    return os.environ.get('CI', '').lower() in ('1', 'true', 'yes')


def unavailable(what, why):
    """Skip, or fail under CI, because a service is missing."""
    message = '%s is not available: %s' % (what, why)
    if in_ci():
        pytest.fail(message + ' (CI=true: a missing service is a failure)')
    pytest.skip(message)


def port_open(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_rabbit():
    parsed = urllib.parse.urlparse(RABBIT_URL)
    if not port_open(parsed.hostname or '127.0.0.1', parsed.port or 5672):
        unavailable('RabbitMQ', 'nothing listens at %s' % RABBIT_URL)
    return RABBIT_URL


def _admin_url(backend):
    return MYSQL_URL if backend == 'mysql' else PG_URL


class TestDatabase:
    """A database of its own for one test (or module), dropped afterwards."""

    def __init__(self, backend, tmp_path=None):
        self.backend = backend
        self.name = 'stng_' + uuid.uuid4().hex[:12]
        self.url = None
        self._tmp_path = tmp_path

    def create(self):
        if self.backend == 'sqlite':
            directory = self._tmp_path or '/tmp'
            self.url = 'sqlite:///%s/%s.sqlite' % (directory, self.name)
            return self.url
        admin = _admin_url(self.backend)
        try:
            engine = sa.create_engine(
                admin + ('/postgres' if self.backend == 'postgresql'
                         else '/'),
                isolation_level='AUTOCOMMIT')
            with engine.connect() as connection:
                if self.backend == 'mysql':
                    connection.execute(sa.text(
                        'CREATE DATABASE %s CHARACTER SET utf8mb4'
                        % self.name))
                else:
                    connection.execute(sa.text(
                        'CREATE DATABASE %s' % self.name))
            engine.dispose()
        except sa.exc.OperationalError as e:
            unavailable(self.backend, str(e).splitlines()[0])
        if self.backend == 'mysql':
            self.url = '%s/%s?charset=utf8mb4' % (admin, self.name)
        else:
            self.url = '%s/%s' % (admin, self.name)
        return self.url

    def drop(self):
        if self.backend == 'sqlite' or self.url is None:
            return
        engine = sa.create_engine(
            _admin_url(self.backend) + ('/postgres'
                                        if self.backend == 'postgresql'
                                        else '/'),
            isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as connection:
                if self.backend == 'postgresql':
                    connection.execute(sa.text(
                        'DROP DATABASE IF EXISTS %s WITH (FORCE)'
                        % self.name))
                else:
                    connection.execute(sa.text(
                        'DROP DATABASE IF EXISTS %s' % self.name))
        finally:
            engine.dispose()
