import pytest

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import services


@pytest.fixture(params=services.BACKENDS)
def database_url(request, tmp_path):
    """An empty database on each backend in turn."""
    database = services.TestDatabase(request.param, tmp_path)
    url = database.create()
    yield url
    database.drop()


@pytest.fixture
def migrated_conf(database_url):
    """A configuration whose database is migrated to head."""
    conf = base.make_conf(database_url)
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.dispose()
    return conf


@pytest.fixture
def rabbit_url():
    return services.require_rabbit()
