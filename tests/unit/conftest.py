import os

import pytest

from stacktach_ng.analyses import operations
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import upsert
from stacktach_ng.usage import store
from tests import base


@pytest.fixture(autouse=True)
def _forget_built_statements():
    """Under mutation testing (``tox -e mutation``), forget what the
    process built and cached before each test.

    The upserts compile their statement once per process, calling the
    table's ``_merge`` only the first time, and the exists update and the
    event type parsing are cached likewise: a mutant of such a function
    ran only in the first test that built it (and in none when the
    statement was built before the mutant was chosen), so it looked
    alive whatever the other tests checked. Outside mutation testing the
    caches stay, as in production.
    """
    if os.environ.get('MUTANT_UNDER_TEST'):
        upsert._COMPILED.clear()
        store._exists_update.cache_clear()
        operations._forget()
    yield


@pytest.fixture
def database(tmp_path):
    """A SQLite database migrated to the head revision (a module that
    needs another defines its own ``database``)."""
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'unit.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield database
    database.dispose()
