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


def _record(message_id, timestamp='keep', **payload):
    message = fx.nova_legacy_update(**payload)
    message['message_id'] = message_id
    form = fx.as_form(message, 'listener')
    if timestamp is None:
        del form['metadata']['timestamp']
        form['ctxt'].pop('timestamp', None)
    return normalize.normalize(form, timestamps.utcnow())


def _flags(database):
    with database.reader() as connection:
        return {row.message_id: (row.conflict_of, row.timestamp_missing)
                for row in connection.execute(sa.select(
                    _TABLE.c.message_id, _TABLE.c.conflict_of,
                    _TABLE.c.timestamp_missing))}


def test_an_id_reused_with_other_content_is_kept_as_a_conflict(database):
    assert _store(database, [_record('a', memory_mb=512)]) == ['a']
    # The same id, another payload: kept under a derived id.
    stored = _store(database, [_record('a', memory_mb=1024)])
    assert len(stored) == 1 and stored[0].startswith('a~')
    assert _flags(database) == {'a': (None, False),
                                stored[0]: ('a', False)}
    # A redelivery of either is a plain duplicate.
    assert _store(database, [_record('a', memory_mb=1024),
                             _record('a', memory_mb=512)]) == []
    assert len(_flags(database)) == 2


def test_a_message_without_timestamp_is_flagged_and_still_deduplicated(
        database):
    first = _record('u', timestamp=None)
    assert first.row['timestamp_missing'] is True
    assert _store(database, [first]) == ['u']
    # Redelivered later: received (so dated) at another time, same message.
    again = _record('u', timestamp=None)
    again.row['generated_at'] = again.row['received_at'] = (
        first.row['generated_at'].replace(year=2030))
    assert _store(database, [again]) == []
    assert _flags(database) == {'u': (None, True)}
