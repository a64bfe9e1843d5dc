"""Scratch databases for the benchmarks, and the configuration using them.

A benchmark that stores data gets a database of its own: a SQLite file in
its work directory, or a new database named ``stacktach_bench_<hex>`` on
the MySQL/MariaDB or PostgreSQL server given by a server URL (a URL
without a database name). It is migrated to the latest schema, and
dropped at the end unless the operator asked to keep it.
"""

import os
import shutil
import tempfile
import uuid

import sqlalchemy as sa

from stacktach_ng import service
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration

BACKENDS = ('sqlite', 'mysql', 'postgresql')

# The servers of a development machine or devstack.
DEFAULT_SERVERS = {
    'mysql': 'mysql+pymysql://root@127.0.0.1:3306',
    'postgresql': 'postgresql+psycopg2://postgres@127.0.0.1:5432',
}

DEFAULT_TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'


def backend_of(url):
    """``sqlite``, ``mysql`` or ``postgresql`` from a SQLAlchemy URL."""
    name = sa.engine.make_url(url).get_backend_name()
    if name not in BACKENDS:
        raise ValueError('unsupported database %r (one of %s)'
                         % (name, ', '.join(BACKENDS)))
    return name


def _admin_url(server_url, backend):
    url = sa.engine.make_url(server_url)
    return url.set(database='postgres' if backend == 'postgresql' else None)


class ScratchDatabase:
    """A new, migrated database; ``drop()`` removes it."""

    def __init__(self, backend, work_dir, server_url=None, label='bench'):
        if backend not in BACKENDS:
            raise ValueError('unknown backend %r' % backend)
        self.backend = backend
        self.name = 'stacktach_%s_%s' % (label, uuid.uuid4().hex[:10])
        self.server_url = server_url or DEFAULT_SERVERS.get(backend)
        self.work_dir = work_dir
        self.url = None

    def create(self, revision=None):
        """Create and migrate the database (to ``revision``, default the
        latest); return its URL."""
        if self.backend == 'sqlite':
            self.url = 'sqlite:///%s' % os.path.join(
                os.path.abspath(self.work_dir), self.name + '.sqlite')
        else:
            self._execute('CREATE DATABASE %s%s' % (
                self.name, ' CHARACTER SET utf8mb4'
                if self.backend == 'mysql' else ''))
            url = sa.engine.make_url(self.server_url).set(
                database=self.name)
            if self.backend == 'mysql':
                url = url.update_query_dict({'charset': 'utf8mb4'})
            self.url = url.render_as_string(hide_password=False)
        database = db_api.Database(make_conf(self.url))
        try:
            migration.upgrade(database, revision=revision or 'head')
        finally:
            database.dispose()
        return self.url

    def drop(self):
        if self.url is None:
            return
        if self.backend == 'sqlite':
            for suffix in ('', '-wal', '-shm', '-journal'):
                path = sa.engine.make_url(self.url).database + suffix
                if os.path.exists(path):
                    os.unlink(path)
        elif self.backend == 'postgresql':
            self._execute('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                          % self.name)
        else:
            self._execute('DROP DATABASE IF EXISTS %s' % self.name)
        self.url = None

    def _execute(self, statement):
        engine = sa.create_engine(
            _admin_url(self.server_url, self.backend),
            isolation_level='AUTOCOMMIT', poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(statement))
        finally:
            engine.dispose()


def make_conf(database_url, config_file=None, **groups):
    """A parsed configuration (no default config files), with overrides:
    ``groups`` maps a group name to ``{option: value}``."""
    conf = service.build_conf()
    args = ['--config-file', config_file] if config_file else []
    conf(args, project=service.PROJECT, default_config_files=[])
    service.finish_conf(conf)
    if database_url is not None:
        conf.set_override('connection', database_url, group='database')
    for group, overrides in groups.items():
        for name, value in overrides.items():
            conf.set_override(name, value,
                              group=None if group == 'DEFAULT' else group)
    return conf


def write_config(path, sections):
    """Write an INI config file: ``sections`` maps a group name to
    ``{option: value}`` (lists are joined with commas)."""
    lines = []
    for group, options in sections.items():
        lines.append('[%s]' % group)
        for name, value in options.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                value = ','.join(str(item) for item in value)
            lines.append('%s = %s' % (name, value))
        lines.append('')
    with open(path, 'w', encoding='utf-8') as output:
        output.write('\n'.join(lines))
    return path


def new_scratch(options, label):
    """A ``ScratchDatabase`` in a new temporary work directory, on the
    backend and server of a benchmark's ``options``."""
    return ScratchDatabase(
        options.backend, tempfile.mkdtemp(prefix='stacktach-bench-'),
        server_url=options.server_url, label=label)


def release(scratch, keep, results):
    """Drop ``scratch`` and its work directory, or note its URL when the
    operator asked to keep it (``--keep``)."""
    if keep:
        results.note('database kept: %s' % scratch.url)
    else:
        scratch.drop()
        shutil.rmtree(scratch.work_dir, ignore_errors=True)
