"""The notifications handler stores each message id once, whatever mix of
new and stored ids a batch brings."""

import pytest
import sqlalchemy as sa

from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.handlers import notifications
from stacktach_ng.pipeline import normalize
from tests import base
from tests.unit.pipeline import fixtures as fx

_TABLE = models.Notification.__table__


@pytest.fixture
def database(tmp_path):
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'n.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield database
    database.dispose()


def _records(*ids):
    received = timestamps.utcnow()
    out = []
    for message_id in ids:
        message = fx.nova_legacy_update()
        message['message_id'] = message_id
        out.append(normalize.normalize(fx.as_form(message, 'listener'),
                                       received))
    return out


def _store(database, records):
    handler = notifications.NotificationsHandler(None)
    with database.writer() as connection:
        return [r.row['message_id']
                for r in handler.process(connection, records)]


def _stored(database):
    with database.reader() as connection:
        return sorted(connection.execute(
            sa.select(_TABLE.c.message_id)).scalars())


@pytest.mark.parametrize('second_batch, new', [
    (('c', 'd'), ['c', 'd']),               # all new: the fast path
    (('c', 'a'), ['c']),                    # stored id last: rolled back
    (('b', 'c', 'd'), ['c', 'd']),          # stored id first
    (('a', 'b'), []),                       # nothing new
])
def test_only_new_ids_are_stored_and_passed_on(database, second_batch,
                                                new):
    assert _store(database, _records('a', 'b')) == ['a', 'b']
    assert _store(database, _records(*second_batch)) == new
    assert _stored(database) == sorted({'a', 'b', *second_batch})
