"""The machine's RabbitMQ and MariaDB, borrowed without reconfiguring them.

The cloud gets a RabbitMQ vhost of its own (``rabbitmqctl add_vhost``,
permissions for the machine's user on it only) and MariaDB databases whose
names share a unique prefix; ``release()`` deletes both. A missing broker,
database server or ``rabbitmqctl`` is reported through
``tests.functional.services.unavailable``: a skip on a developer's
machine, a failure under CI=true.
"""

import shutil
import subprocess
import urllib.parse
import uuid

import sqlalchemy as sa

from tests.functional import services

DATABASES = ('keystone', 'placement', 'glance', 'neutron', 'nova_api',
             'nova_cell0', 'nova')


class Infrastructure:

    def __init__(self):
        self.prefix = 'stos_%s' % uuid.uuid4().hex[:10]
        self.vhost = self.prefix
        self.rabbit = urllib.parse.urlparse(services.RABBIT_URL)
        self.mysql_admin_url = services.MYSQL_URL
        self._vhost_created = False
        self._databases = []

    # -- RabbitMQ ----------------------------------------------------------

    @property
    def transport_url(self):
        return 'rabbit://%s:%s@%s:%d/%s' % (
            self.rabbit.username or 'guest', self.rabbit.password or 'guest',
            self.rabbit.hostname or '127.0.0.1', self.rabbit.port or 5672,
            self.vhost)

    def _rabbitmqctl(self, *args):
        return subprocess.run(['rabbitmqctl', '-q'] + list(args),
                              capture_output=True, text=True, timeout=120)

    def create_vhost(self):
        services.require_rabbit()
        if shutil.which('rabbitmqctl') is None:
            services.unavailable('rabbitmqctl', 'not on PATH')
        result = self._rabbitmqctl('add_vhost', self.vhost)
        if result.returncode:
            services.unavailable('RabbitMQ vhost', result.stderr.strip())
        self._vhost_created = True
        user = self.rabbit.username or 'guest'
        result = self._rabbitmqctl('set_permissions', '-p', self.vhost,
                                   user, '.*', '.*', '.*')
        if result.returncode:
            raise RuntimeError('rabbitmqctl set_permissions: %s'
                               % result.stderr)

    def queue_counts(self):
        """{queue name: messages ready} of the cloud's vhost."""
        result = self._rabbitmqctl('list_queues', '-p', self.vhost,
                                   '--no-table-headers', 'name', 'messages')
        counts = {}
        for line in result.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
        return counts

    # -- MariaDB -----------------------------------------------------------

    def database_url(self, name):
        return '%s/%s_%s?charset=utf8' % (self.mysql_admin_url, self.prefix,
                                          name)

    def _admin_engine(self):
        return sa.create_engine(self.mysql_admin_url + '/',
                                isolation_level='AUTOCOMMIT')

    def create_databases(self):
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                for name in DATABASES:
                    full = '%s_%s' % (self.prefix, name)
                    connection.execute(sa.text(
                        'CREATE DATABASE %s CHARACTER SET utf8' % full))
                    self._databases.append(full)
        except sa.exc.OperationalError as e:
            services.unavailable('MariaDB', str(e).splitlines()[0])
        finally:
            engine.dispose()

    def query(self, database, sql, **params):
        """Rows (as dicts) of one query on one of the cloud's databases."""
        engine = sa.create_engine(self.database_url(database))
        try:
            with engine.connect() as connection:
                return [dict(row._mapping) for row in
                        connection.execute(sa.text(sql), params)]
        finally:
            engine.dispose()

    # -- clean up ----------------------------------------------------------

    def release(self):
        if self._databases:
            engine = self._admin_engine()
            try:
                with engine.connect() as connection:
                    for full in self._databases:
                        connection.execute(sa.text(
                            'DROP DATABASE IF EXISTS %s' % full))
            finally:
                engine.dispose()
            self._databases = []
        if self._vhost_created:
            self._rabbitmqctl('delete_vhost', self.vhost)
            self._vhost_created = False
