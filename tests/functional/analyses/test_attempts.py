"""Attempts of one operation on every backend: nova's reschedule of a
failed boot (real nova 34 traffic) in shuffled batches, and two batches
committing the two attempts concurrently."""

import threading

import pytest
import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import runner
from tests import base
from tests import captures
from tests import reschedule
from tests.functional import services
from tests.functional.analyses import fixtures


def _load(conf, batches):
    database = db_api.Database(conf)
    pipe = runner.Pipeline(conf, database, source='import')
    for batch in batches:
        pipe.process(captures.envelopes(batch))
    return database


@pytest.mark.parametrize('seed', (1, 2, 3))
def test_shuffled_batches_give_both_attempts(migrated_conf, seed):
    database = _load(migrated_conf, captures.shuffled_batches(
        captures.messages('reschedule'), seed))
    try:
        reschedule.check_attempts(database)
    finally:
        database.dispose()


@pytest.fixture(params=('mysql', 'postgresql'))
def server_conf(request, tmp_path):
    database = services.TestDatabase(request.param, tmp_path)
    url = database.create()
    conf = base.make_conf(url)
    db = db_api.Database(conf)
    migration.upgrade(db)
    db.dispose()
    yield conf
    database.drop()


class _Pause:
    """A handler run before ``timings`` in the first batch's transaction:
    it waits until the second batch has stored its notifications (not
    committed), so that the first batch merges and recomputes the key
    while the second one's rows are in flight."""

    name = 'pause'

    def __init__(self, stored):
        self.stored = stored

    def process(self, connection, records):
        self.stored.wait(5)
        return records


class _Stored:
    """Signals once the second batch's notifications are stored."""

    name = 'signal'

    def __init__(self, stored):
        self.stored = stored

    def process(self, connection, records):
        self.stored.set()
        return records


def _split(messages, cut_event, cut_host, versioned_too):
    """The messages up to the last of ``cut_event`` from ``cut_host`` (and
    its versioned twin), and the rest."""
    legacy = [i for i, body in enumerate(messages)
              if body['event_type'] == cut_event
              and body['publisher_id'].endswith(cut_host)]
    cut = legacy[-1] + 1
    if versioned_too:
        cut += 1
    return messages[:cut], messages[cut:]


@pytest.mark.parametrize('cut', [
    # The two attempts, one a batch.
    ('compute.instance.create.error', 'compute1', True),
    # The second attempt's legacy start in the first batch, its twin and
    # its end in the second: the first batch sees two starts of a format
    # and recomputes while the second one's rows are uncommitted.
    ('compute.instance.create.start', 'compute2', False),
])
def test_concurrent_batches_commit_both_attempts(server_conf, cut):
    messages = captures.messages('reschedule')
    first, second = _split(messages, *cut)
    stored = threading.Event()
    handlers = runner.load_handlers(server_conf)
    names = [handler.name for handler in handlers]
    at_timings = names.index('timings')
    first_handlers = (handlers[:at_timings] + [_Pause(stored)]
                      + handlers[at_timings:])
    second_handlers = ([handlers[0], _Stored(stored)]
                       + runner.load_handlers(server_conf)[1:])
    errors = []
    start = threading.Barrier(2)

    def run(batch, chain):
        database = db_api.Database(server_conf)
        try:
            pipe = runner.Pipeline(server_conf, database, handlers=chain,
                                   source='import')
            start.wait()
            pipe.process(captures.envelopes(batch))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(first, first_handlers)),
               threading.Thread(target=run, args=(second, second_handlers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    database = db_api.Database(server_conf)
    try:
        reschedule.check_attempts(database)
        concurrent = reschedule.stored_operations(database)
        fixtures.empty(database)
        serial = _load(server_conf, [messages])
        try:
            assert reschedule.stored_operations(serial) == concurrent
        finally:
            serial.dispose()
        with database.reader() as connection:
            assert connection.execute(sa.text(
                'SELECT COUNT(*) FROM notifications')).scalar() == len(
                messages)
    finally:
        database.dispose()
