"""Migrations on every backend: from empty to head, and they match the
models."""

from alembic import autogenerate
from alembic import migration as alembic_migration

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from tests import base


def test_upgrade_from_empty_matches_models(database_url):
    database = db_api.Database(base.make_conf(database_url))
    assert migration.current_revision(database) is None
    migration.upgrade(database)
    assert migration.current_revision(database) == migration.head_revision()
    with database.engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={'compare_type': True})
        diff = autogenerate.compare_metadata(context, models.Base.metadata)
    assert diff == []
    # Upgrading again is a no-op.
    migration.upgrade(database)
    assert migration.is_at_head(database)
    database.dispose()
