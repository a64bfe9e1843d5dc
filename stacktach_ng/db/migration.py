"""Schema migrations (alembic), driven by ``stacktach-ng-manage db``."""

import os

import sqlalchemy.exc as sa_exc
from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_db import exception as db_exc

from stacktach_ng.db import api as db_api
from stacktach_ng.db import partitions

_MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), 'migrations')


def _alembic_config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location', _MIGRATIONS_DIR)
    config.attributes['connection'] = connection
    return config


def upgrade(database, revision='head'):
    """Upgrade the schema of ``database`` (a db.api.Database); at head,
    create the day partitions ahead (PostgreSQL, see ``partitions``)."""
    if database.dialect == 'sqlite':
        _make_sqlite_dir(database)
    with database.engine.begin() as connection:
        alembic_command.upgrade(_alembic_config(connection), revision)
    if is_at_head(database):
        partitions.keep_ahead(database.conf, database)


def current_revision(database):
    """The schema revision the database is at, or None when it is empty."""
    with database.engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_revision()


def head_revision():
    script = alembic_script.ScriptDirectory(_MIGRATIONS_DIR)
    return script.get_current_head()


def is_at_head(database):
    return current_revision(database) == head_revision()


def _make_sqlite_dir(database):
    path = database.engine.url.database
    if path and path != ':memory:':
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)


def check_schema(conf):
    """None when the database schema is at head, else the error to print.

    Every daemon checks it before it starts, and ``stacktach-ng-status
    upgrade check`` reports it.
    """
    database = db_api.Database(conf)
    try:
        if is_at_head(database):
            return None
        current = current_revision(database)
    except (db_exc.DBError, sa_exc.SQLAlchemyError) as e:
        return 'cannot read the database schema version: %s' % (
            str(e).splitlines()[0] if str(e) else type(e).__name__)
    finally:
        database.dispose()
    return ('the database schema is at revision %s but this version needs '
            '%s: run "stacktach-ng-manage db upgrade" first'
            % (current or '<empty>', head_revision()))
