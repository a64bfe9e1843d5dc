"""SPEC section 9: 10,000 fuzzed messages, zero crashes.

The messages of ``tests.fuzzing`` go through the real pipeline with every
default handler: in batches through ``Pipeline.process`` on each database
backend, through the importer from a JSON-lines file (with invalid lines)
and, for a part of them, as raw bodies through the listener on a real
RabbitMQ. A crash is any exception other than ``Rejected`` escaping the
pipeline; a batch that fails is split to name the message that makes it
fail, so that one culprit does not hide another.

``STACKTACH_FUZZ_SEED`` picks another seed (the default one is fixed, so
that a failure is reproducible).
"""

import json
import os
import time
import traceback

import kombu
import pytest
import sqlalchemy as sa

from stacktach_ng.conf import listener as listener_opts
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from stacktach_ng.replay import importer
from tests import base
from tests import fuzzing
from tests.functional import services
from tests.functional.listener import conftest as listener_fixtures
from tests.functional.listener import traffic
from tests.unit.pipeline import fixtures

SEED = int(os.environ.get('STACKTACH_FUZZ_SEED', '20260101'))
COUNT = 10000
BATCH_SIZE = 500
# Raw bodies published on RabbitMQ: the listener path on top of the
# pipeline (poison capture, dispatch by priority).
RABBIT_COUNT = 2000

NOTIFICATIONS = models.Notification.__table__
REJECTED = models.RejectedMessage.__table__

# Lines of the import file that are no message at all.
INVALID_LINES = (b'not JSON at all', b'{"truncated": ', b'\xff\xfe\xfd',
                 b'[', b'{"a": 1}}', b'   ', b'\x00')


@pytest.fixture(scope='module')
def cases():
    return fuzzing.Fuzzer(seed=SEED).cases(COUNT)


def _all_handlers_conf(url, **listener):
    conf = base.make_conf(url, listener=listener)
    assert len(conf.listener.handlers) >= 7, conf.listener.handlers
    return conf


class Failure:
    def __init__(self, index, error):
        self.index = index
        self.error = error
        self.trace = ''.join(traceback.format_exception(
            type(error), error, error.__traceback__)[-12:])


class CheckedPipeline:
    """The pipeline, checked batch by batch.

    A batch that raises is split in halves until the failing messages are
    found (as the listener does), so that every other message is stored
    and every culprit is reported. Also usable as the importer's pipeline.
    """

    def __init__(self, pipeline, cases=None):
        self.pipeline = pipeline
        self.database = pipeline.database
        self.cases = cases
        self.failures = []
        self.total = runner.BatchResult()
        self.batches = 0

    def process(self, items, indexes=None):
        if indexes is None:
            indexes = list(range(len(items)))
        result = runner.BatchResult(received=len(items))
        try:
            result = self.pipeline.process(items)
        except Exception as error:
            if len(items) == 1:
                self.failures.append(Failure(indexes[0], error))
            else:
                middle = len(items) // 2
                result.add(self.process(items[:middle], indexes[:middle]))
                result.add(self.process(items[middle:], indexes[middle:]))
                result.received = len(items)
            return result
        assert result.received == len(items)
        assert result.received == (result.stored + result.duplicates
                                   + result.rejected), result
        assert result.rejected == sum(result.reasons.values()), result
        self.batches += 1
        self.total.add(result)
        return result

    def run(self, items, offset=0):
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start:start + BATCH_SIZE]
            self.process(batch, list(range(offset + start,
                                           offset + start + len(batch))))
        return self.total

    def report(self):
        lines = []
        for failure in self.failures[:10]:
            case = (self.cases[failure.index]
                    if self.cases is not None
                    and failure.index < len(self.cases) else None)
            lines.append('message %d (%s): %r\n%s' % (
                failure.index, case.kind if case else '?',
                case.line[:300] if case else '', failure.trace))
        return '%d failing messages (seed %d):\n%s' % (
            len(self.failures), SEED, '\n'.join(lines))


def _strict_json(text):
    def refuse(constant):
        raise ValueError('not JSON: %s' % constant)
    return json.loads(text, parse_constant=refuse)


def _check_stored(url):
    """No NUL and no lone surrogate anywhere; payload and context are
    strict JSON. Returns (notifications, rejected rows)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            for table in models.Base.metadata.sorted_tables:
                if table.name == 'alembic_version':
                    continue
                for row in connection.execute(sa.select(table)):
                    for name, value in row._mapping.items():
                        if isinstance(value, str):
                            assert '\x00' not in value, (table.name, name)
                            value.encode('utf-8')
            for payload, context in connection.execute(sa.select(
                    NOTIFICATIONS.c.payload, NOTIFICATIONS.c.context)):
                _strict_json(payload)
                assert isinstance(_strict_json(context), dict)
            stored = connection.execute(sa.select(sa.func.count()).select_from(
                NOTIFICATIONS)).scalar()
            rejected = connection.execute(sa.select(
                REJECTED.c.reason, REJECTED.c.size, REJECTED.c.excerpt)).all()
    finally:
        engine.dispose()
    for reason, size, excerpt in rejected:
        assert reason
        assert size >= 0
        assert len(excerpt) <= 4096
    return stored, rejected


def _fail_on_failures(checked):
    if checked.failures:
        pytest.fail(checked.report())


def test_fuzzed_batches(migrated_conf, cases):
    """Every backend, every default handler, batches of 500, twice."""
    url = migrated_conf.database.connection
    backend = url.split(':', 1)[0].split('+', 1)[0]
    conf = _all_handlers_conf(url)
    database = db_api.Database(conf)
    started = time.monotonic()
    try:
        items = [fuzzing.decode(case) for case in cases]
        checked = CheckedPipeline(runner.Pipeline(conf, database),
                                  cases)
        first = checked.run(items)
        stored, rejected = _check_stored(url)
        # Every rejected message has its row, with its reason.
        assert first.stored == stored
        assert first.rejected == len(rejected)
        assert first.stored > COUNT // 3
        assert first.rejected > COUNT // 20
        assert first.duplicates > 0

        # The same messages again: nothing new, the poison recorded again.
        again = CheckedPipeline(runner.Pipeline(conf, database),
                                cases)
        second = again.run([fuzzing.decode(case) for case in cases])
        assert second.stored == 0, second
        assert second.rejected == first.rejected
        assert second.duplicates == first.stored + first.duplicates
        stored_again, rejected_again = _check_stored(url)
        assert stored_again == stored
        assert len(rejected_again) == 2 * len(rejected)
    finally:
        database.dispose()
    checked.failures.extend(again.failures)
    print('%s: %d messages twice in %.1f s: stored %d, duplicates %d, '
          'rejected %d' % (backend, len(items), time.monotonic() - started,
                           first.stored, first.duplicates, first.rejected))
    _fail_on_failures(checked)


@pytest.fixture
def sqlite_url(tmp_path):
    database = services.TestDatabase('sqlite', tmp_path)
    url = database.create()
    conf = base.make_conf(url)
    db = db_api.Database(conf)
    migration.upgrade(db)
    db.dispose()
    return url


def test_fuzzed_import(sqlite_url, cases, tmp_path):
    """The importer reading the fuzzed messages as JSON lines, with lines
    that are no JSON among them; twice. (Parsing does not depend on the
    backend: SQLite only.)"""
    path = str(tmp_path / 'fuzzed.jsonl')
    # A valid first line: the file is read as JSON lines.
    first_line = [case for case in cases if case.kind == 'realistic'][0]
    lines = fuzzing.write_lines([first_line] + cases, path, INVALID_LINES)
    conf = _all_handlers_conf(sqlite_url)
    totals = []
    for _attempt in range(2):
        database = db_api.Database(conf)
        try:
            checked = CheckedPipeline(runner.Pipeline(
                conf, database, source=importer.SOURCE))
            job = importer.Importer(conf, database, batch_size=BATCH_SIZE,
                                    pipeline=checked)
            result = job.import_path(path)
        finally:
            database.dispose()
        if checked.failures:
            pytest.fail(checked.report())
        assert result.received == (result.stored + result.duplicates
                                   + result.rejected)
        totals.append(result)
        stored, rejected = _check_stored(sqlite_url)
        assert stored == totals[0].stored
        assert len(rejected) == sum(total.rejected for total in totals)
    first, second = totals
    # Arrays are opened and empty lines skipped: about one message a line.
    assert abs(first.received - lines) < lines // 20
    assert first.rejected >= len(INVALID_LINES) - 1
    assert any(reason.startswith('not valid JSON')
               for reason in first.reasons)
    assert second.stored == 0
    assert second.received == first.received
    assert second.rejected == first.rejected


def _rabbit_bodies(cases):
    """(routing priority, raw body) of the cases the listener gets as
    bytes; the body's own priority is fuzzed, the queue's is not."""
    out = []
    for number, case in enumerate(cases):
        if b'_unique_id' in case.line:
            # oslo.messaging drops a repeated _unique_id before any
            # endpoint sees it: not the listener's doing.
            continue
        out.append((traffic.PRIORITIES[number % len(traffic.PRIORITIES)],
                    case.line))
    return out


def test_fuzzed_listener(rabbit_url, sqlite_url, cases, tmp_path):
    """Raw fuzzed bodies on a real RabbitMQ, through the listener."""
    bus = listener_fixtures.Bus(rabbit_url, sqlite_url, tmp_path)
    bodies = _rabbit_bodies(cases[:RABBIT_COUNT])
    # The default store processes: a payload nested too deeply to be
    # pickled for the child is rejected on the way, not requeued forever.
    conf = bus.conf(handlers=','.join(listener_opts.DEFAULT_HANDLERS),
                    batch_size=200)
    try:
        with listener_fixtures.running_listener(conf) as service:
            _wait_for_queues(bus)
            _publish(bus, bodies)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                stats = service.stats.snapshot()
                done = (stats['stored'] + stats['duplicates']
                        + stats['rejected'])
                if done >= len(bodies) or stats['requeued']:
                    break
                time.sleep(0.2)
            # Anything more (a message handled twice) would be in the
            # queues still: wait for them to be drained.
            assert bus.wait_queues_empty() == 0
            stats = service.stats.snapshot()
        rejected = bus.rejected()
        crashed = [row['reason'] for row in rejected
                   if row['reason'].startswith('processing failed')]
        assert not crashed, crashed[:5]
        assert stats['requeued'] == 0, stats
        assert (stats['stored'] + stats['duplicates'] + stats['rejected']
                == len(bodies)), stats
        assert stats['rejected'] == len(rejected)
        stored, _rows = _check_stored(sqlite_url)
        assert stored == stats['stored']
        assert stats['stored'] > len(bodies) // 3
    finally:
        bus.close()


def _wait_for_queues(bus, timeout=30):
    """The listener declares its queues when it starts consuming."""
    deadline = time.monotonic() + timeout
    with kombu.Connection(traffic.kombu_url(bus.rabbit_url)) as connection:
        while True:
            channel = connection.channel()
            try:
                for name in bus.queues:
                    channel.queue_declare(queue=name, passive=True)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: S110 - closed by the error
                    pass


def _publish(bus, bodies):
    with kombu.Connection(traffic.kombu_url(bus.rabbit_url)) as connection:
        producer = connection.Producer()
        for priority, body in bodies:
            producer.publish(body, exchange=bus.exchange,
                             routing_key='%s.%s' % (bus.topic, priority),
                             content_type='application/json',
                             content_encoding='utf-8', retry=True)


def test_resource_ids_differing_only_by_case(migrated_conf):
    """MySQL's default collation compares ids regardless of case: the
    lifecycle handler looked a stored 'NaN' up as the batch's 'nan' and
    failed the batch. Every backend stores both batches."""
    conf = _all_handlers_conf(migrated_conf.database.connection)
    database = db_api.Database(conf)
    try:
        pipeline = runner.Pipeline(conf, database)
        for number, instance in enumerate(('Server-A', 'server-a',
                                           'SERVER-A')):
            message = fixtures.nova_legacy_update()
            message['payload']['instance_id'] = instance
            message['message_id'] = 'case-%d' % number
            message['timestamp'] = '2026-01-02 03:04:0%d' % number
            result = pipeline.process([forms.to_envelope(
                fixtures.as_form(message, 'wire_v1'))])
            assert result.stored == 1, result
    finally:
        database.dispose()
