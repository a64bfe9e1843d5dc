import pytest

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import services


def backend_of(url):
    return url.split(':', 1)[0].split('+', 1)[0]


@pytest.fixture
def second_conf(database_url, tmp_path):
    """A second migrated database on the same backend as ``database_url``
    (where an export is imported back)."""
    database = services.TestDatabase(backend_of(database_url),
                                     tmp_path / 'second')
    (tmp_path / 'second').mkdir()
    url = database.create()
    conf = base.make_conf(url, listener={'handlers': ['notifications']})
    db = db_api.Database(conf)
    migration.upgrade(db)
    db.dispose()
    yield conf
    database.drop()
