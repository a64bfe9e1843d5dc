"""Schema migrations (alembic), driven by ``stacktach-ng-manage db``."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

_MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), 'migrations')


def _alembic_config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location', _MIGRATIONS_DIR)
    config.attributes['connection'] = connection
    return config


def upgrade(database, revision='head'):
    """Upgrade the schema of ``database`` (a db.api.Database)."""
    if database.dialect == 'sqlite':
        _make_sqlite_dir(database)
    with database.engine.begin() as connection:
        alembic_command.upgrade(_alembic_config(connection), revision)


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
