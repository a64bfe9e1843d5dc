import pytest

from stacktach_ng.api import app as api_app
from stacktach_ng.api import policy
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional import services
from tests.functional.api import client as api_client
from tests.functional.api import data as api_data


@pytest.fixture
def override():
    """``override(conf, name, value, group)``: a config override undone
    after the test (option groups are shared between ConfigOpts objects,
    so an override would otherwise outlive its test)."""
    done = []

    def set_override(conf, name, value, group):
        conf.set_override(name, value, group=group)
        done.append((conf, name, group))

    yield set_override
    for conf, name, group in done:
        conf.clear_override(name, group=group)


def _store_standard(conf):
    database = db_api.Database(conf)
    dataset = api_data.standard()
    api_data.store(conf, database, dataset)
    return database, dataset


@pytest.fixture(scope='module', params=services.BACKENDS)
def shared(request, tmp_path_factory):
    """(conf, database, dataset): the standard dataset on each backend in
    turn, shared by the tests of a module that only read it."""
    test_database = services.TestDatabase(
        request.param, tmp_path_factory.mktemp('api'))
    conf = base.make_conf(test_database.create())
    database = db_api.Database(conf)
    migration.upgrade(database)
    database.dispose()
    database, dataset = _store_standard(conf)
    yield conf, database, dataset
    database.dispose()
    test_database.drop()


@pytest.fixture
def stored(migrated_conf):
    """(conf, database, dataset) in a database of the test's own."""
    database, dataset = _store_standard(migrated_conf)
    yield migrated_conf, database, dataset
    database.dispose()


def _noauth(stored, override):
    conf, database, dataset = stored
    override(conf, 'auth_strategy', 'noauth', 'api')
    return api_client.Client(api_app.setup_app(conf, database)), dataset


@pytest.fixture
def noauth(shared, override):
    """(client, dataset): the whole application under ``noauth`` over the
    shared dataset (read only)."""
    return _noauth(shared, override)


@pytest.fixture
def noauth_own(stored, override):
    """Like ``noauth`` over a database the test may change."""
    return _noauth(stored, override)


@pytest.fixture
def as_identity(shared, override):
    """A function ``(roles, project_id, system_scope=None) -> Client`` of
    the Pecan application under ``auth_strategy = keystone``, with the
    identity headers keystonemiddleware sets for such a token."""
    conf, database, dataset = shared
    override(conf, 'auth_strategy', 'keystone', 'api')
    pecan_app = api_app.setup_pecan(conf, database, policy.Enforcer(conf))

    def make(roles, project_id, system_scope=None):
        return api_client.Client(api_client.Identity(
            pecan_app, roles, project_id, system_scope))

    make.dataset = dataset
    return make
