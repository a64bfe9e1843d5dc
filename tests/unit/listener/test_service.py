"""The listener's endpoint with a fake pipeline: acknowledgement, requeue,
back-off and the search for the message that breaks a batch."""

import threading

import pytest
import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc

from stacktach_ng.listener import heartbeat
from stacktach_ng.listener import service as listener
from stacktach_ng.listener import transient
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import runner
from stacktach_ng.retention import purge
from tests import base


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeStop:
    """A stop event whose ``wait`` moves a ``FakeClock`` on instead of
    sleeping, and records how long it was asked to wait."""

    def __init__(self, clock):
        self.clock = clock
        self.waits = []
        self._set = False

    def is_set(self):
        return self._set

    def set(self):
        self._set = True

    def wait(self, seconds):
        self.waits.append(seconds)
        self.clock.now += seconds
        return self._set


class FakePipeline:
    """Stores envelopes by message id; fails as told.

    ``poison_ids``: a batch holding one of them raises ``poison_error``.
    ``failures``: errors raised by the next calls, in order, whatever the
    batch.
    """

    def __init__(self, poison_ids=(), poison_error=None, failures=()):
        self.poison_ids = set(poison_ids)
        self.poison_error = poison_error or ValueError('handler bug')
        self.failures = list(failures)
        self.stored = {}
        self.rejected = []
        self.calls = []

    def process(self, items):
        self.calls.append(list(items))
        if self.failures:
            raise self.failures.pop(0)
        envelopes = [item for item in items
                     if not isinstance(item, rejection.Rejected)]
        if any(envelope['metadata']['message_id'] in self.poison_ids
               for envelope in envelopes):
            raise self.poison_error
        result = runner.BatchResult(received=len(items))
        for item in items:
            if isinstance(item, rejection.Rejected):
                self.rejected.append(item)
                result.rejected += 1
                continue
            message_id = item['metadata']['message_id']
            if message_id in self.stored:
                result.duplicates += 1
            else:
                self.stored[message_id] = item
                result.stored += 1
        return result


def _messages(*ids):
    return [{'ctxt': {}, 'publisher_id': 'compute.host1',
             'event_type': 'compute.instance.update',
             'payload': {'n': message_id},
             'metadata': {'message_id': message_id,
                          'timestamp': '2026-01-02 03:04:05'}}
            for message_id in ids]


def _endpoint(pipeline, clock=None, maximum=30.0):
    stopping = threading.Event()
    # Set: the endpoint never sleeps in these tests; the back-off state is
    # still computed and is what the tests look at.
    stopping.set()
    backoff = listener.Backoff(maximum, clock=clock or FakeClock())
    return listener.BatchEndpoint(pipeline, heartbeat.Stats(), backoff,
                                  stopping)


def test_batch_is_acknowledged_after_it_is_stored():
    pipeline = FakePipeline()
    endpoint = _endpoint(pipeline)
    assert endpoint.info(_messages('a', 'b', 'c')) is None
    assert sorted(pipeline.stored) == ['a', 'b', 'c']
    assert pipeline.stored['a']['priority'] == 'info'
    stats = endpoint.stats.snapshot()
    assert stats['stored'] == 3
    assert stats['batches'] == 1
    assert stats['requeued'] == 0


def test_a_batch_of_several_priorities_is_one_transaction():
    pipeline = FakePipeline()
    endpoint = _endpoint(pipeline)
    poisoned = rejection.Rejected('missing priority', {'message_id': 'p'})
    assert endpoint.process_batch(
        {'info': _messages('a', 'b'), 'error': _messages('c')},
        [poisoned]) is None
    assert len(pipeline.calls) == 1
    assert sorted(pipeline.stored) == ['a', 'b', 'c']
    assert pipeline.stored['c']['priority'] == 'error'
    assert pipeline.rejected == [poisoned]
    assert endpoint.stats.snapshot()['batches'] == 1


@pytest.mark.parametrize('priority', forms.PRIORITIES)
def test_every_priority_has_its_method(priority):
    pipeline = FakePipeline()
    endpoint = _endpoint(pipeline)
    assert getattr(endpoint, priority)(_messages('x')) is None
    assert pipeline.stored['x']['priority'] == priority


@pytest.mark.parametrize('error', [
    db_exc.DBConnectionError(),
    db_exc.DBDeadlock(),
    sa_exc.OperationalError('INSERT', {}, Exception('database is locked')),
    sa_exc.TimeoutError('QueuePool limit reached'),
])
def test_transient_error_requeues_and_backs_off(error):
    pipeline = FakePipeline(failures=[error])
    endpoint = _endpoint(pipeline)
    assert endpoint.info(_messages('a', 'b')) == listener.REQUEUE
    assert pipeline.stored == {}
    assert endpoint.stats.snapshot()['requeued'] == 2
    assert endpoint.backoff.delay == listener.INITIAL_BACKOFF
    # The redelivery succeeds and resets the pause.
    assert endpoint.info(_messages('a', 'b')) is None
    assert sorted(pipeline.stored) == ['a', 'b']
    assert endpoint.backoff.delay == 0


def test_is_transient():
    assert transient.is_transient(db_exc.DBConnectionError())
    assert transient.is_transient(db_exc.DBDeadlock())
    assert transient.is_transient(
        db_exc.DBError(sa_exc.OperationalError('x', {}, Exception('y'))))
    assert not transient.is_transient(ValueError('bug'))
    assert not transient.is_transient(db_exc.DBError(KeyError('x')))


def test_backoff_grows_to_the_maximum_and_resets():
    clock = FakeClock()
    backoff = listener.Backoff(4.0, clock=clock)
    delays = []
    for _ in range(6):
        delays.append(backoff.failed())
        clock.now += backoff.remaining()
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.succeeded()
    assert backoff.remaining() == 0
    assert backoff.failed() == 0.5


def test_backoff_does_not_grow_for_batches_failing_in_the_same_pause():
    clock = FakeClock()
    backoff = listener.Backoff(30.0, clock=clock)
    # Four concurrent batches fail at about the same time.
    assert [backoff.failed() for _ in range(4)] == [0.5] * 4
    clock.now += 0.2
    assert backoff.remaining() == pytest.approx(0.3)


def test_backoff_wait_blocks_until_the_pause_is_over_or_stop():
    clock = FakeClock()
    stop = FakeStop(clock)
    backoff = listener.Backoff(30.0, initial=0.2, clock=clock)
    backoff.failed()
    backoff.wait(stop)
    # It waited out the pause, 0.2 s, and nothing more.
    assert sum(stop.waits) == pytest.approx(0.2)
    backoff.failed()
    stop.set()
    backoff.wait(stop)
    # Stopping: it returns at once, however long the pause (0.4 s now).
    assert sum(stop.waits) == pytest.approx(0.2)


def test_endpoint_waits_while_the_database_is_down():
    """A batch arriving during the pause waits before trying."""
    clock = FakeClock()
    stop = FakeStop(clock)
    pipeline = FakePipeline(failures=[db_exc.DBConnectionError()])
    backoff = listener.Backoff(30.0, initial=0.2, clock=clock)
    endpoint = listener.BatchEndpoint(pipeline, heartbeat.Stats(), backoff,
                                      stopping=stop)
    assert endpoint.info(_messages('a')) == listener.REQUEUE
    # The failing batch itself slept its pause before being requeued...
    assert sum(stop.waits) == pytest.approx(0.2)
    backoff.failed()  # the pause is still on for the next batch: 0.4 s
    assert endpoint.info(_messages('b')) is None
    # ...and the next batch waited for the pause to end before trying.
    assert sum(stop.waits) == pytest.approx(0.6)
    assert len(pipeline.calls) == 2


def test_unexpected_error_requeues_once_then_isolates_the_culprit():
    pipeline = FakePipeline(poison_ids={'bad'},
                            poison_error=KeyError('no such key'))
    endpoint = _endpoint(pipeline)
    batch = _messages('a', 'b', 'bad', 'c', 'd')
    # First failure: maybe a fluke; nothing is lost, the batch comes back.
    assert endpoint.info(batch) == listener.REQUEUE
    assert pipeline.stored == {}
    # Same messages fail again: split, store the rest, reject the culprit.
    assert endpoint.info(batch) is None
    assert sorted(pipeline.stored) == ['a', 'b', 'c', 'd']
    assert len(pipeline.rejected) == 1
    culprit = pipeline.rejected[0]
    assert culprit.reason.startswith('processing failed: KeyError')
    assert culprit.message['metadata']['message_id'] == 'bad'
    stats = endpoint.stats.snapshot()
    assert stats['stored'] == 4
    assert stats['rejected'] == 1
    assert stats['requeued'] == 5
    # The queue moved on: a new batch with other messages is fine.
    assert endpoint.info(_messages('e')) is None


def test_redelivered_batch_mixed_with_new_messages_is_split_too():
    pipeline = FakePipeline(poison_ids={'bad1', 'bad2'})
    endpoint = _endpoint(pipeline)
    assert endpoint.info(_messages('a', 'bad1', 'bad2')) == listener.REQUEUE
    # Redelivered in a different batch, with messages never seen.
    assert endpoint.info(_messages('x', 'bad2', 'y', 'bad1', 'z')) is None
    assert sorted(pipeline.stored) == ['x', 'y', 'z']
    assert sorted(r.message['metadata']['message_id']
                  for r in pipeline.rejected) == ['bad1', 'bad2']


def test_batch_where_every_message_fails_stays_queued():
    """Not the messages' fault (a broken handler, a dropped table)."""
    pipeline = FakePipeline(poison_ids={'a', 'b', 'c'})
    endpoint = _endpoint(pipeline)
    assert endpoint.info(_messages('a', 'b', 'c')) == listener.REQUEUE
    assert endpoint.info(_messages('a', 'b', 'c')) == listener.REQUEUE
    assert pipeline.rejected == []
    assert endpoint.backoff.delay > 0


def test_transient_error_while_splitting_requeues_everything():
    pipeline = FakePipeline(poison_ids={'bad'})
    endpoint = _endpoint(pipeline)
    batch = _messages('a', 'bad', 'b', 'c')
    assert endpoint.info(batch) == listener.REQUEUE
    # The second try fails (poison), then the first half of the split
    # meets a database disconnect.
    pipeline.failures = [ValueError('handler bug'),
                         db_exc.DBConnectionError()]
    assert endpoint.info(batch) == listener.REQUEUE
    assert pipeline.rejected == []
    # Next time the split goes through.
    assert endpoint.info(batch) is None
    assert sorted(pipeline.stored) == ['a', 'b', 'c']
    assert len(pipeline.rejected) == 1


def test_poison_from_the_dispatcher_is_recorded():
    pipeline = FakePipeline()
    endpoint = _endpoint(pipeline)
    errors = [rejection.Rejected('missing priority', {'event_type': 'x'})]
    assert endpoint.rejected(errors) is None
    assert pipeline.rejected == errors
    assert endpoint.stats.snapshot()['rejected'] == 1


def test_message_ids_in_logs():
    envelope = _messages('abc')[0]
    assert listener.message_id_of(envelope) == 'abc'
    no_id = dict(envelope, metadata={'message_id': None})
    assert listener.message_id_of(no_id)  # a deterministic id
    assert listener.message_id_of(
        rejection.Rejected('x', 'raw text')) == '<undecodable>'
    assert listener._ids_text([str(n) for n in range(12)]).endswith(
        '9 and 2 more')


def test_periodic_purge_runs_the_purge(monkeypatch):
    conf = base.make_conf('sqlite://', retention={'purge_interval': 1})
    service = listener.ListenerService(conf)
    service.database = object()
    calls = []

    def run(purge_conf, database):
        calls.append((purge_conf, database))
        service._stopping.set()

    monkeypatch.setattr(purge, 'run', run)
    service._purge_loop()
    assert calls == [(conf, service.database)]


def test_listener_targets_are_every_exchange_times_every_topic():
    conf = base.make_conf('sqlite://', listener={
        'exchanges': ['nova', 'glance'], 'topics': ['stacktach', 'extra']})
    targets = listener.listener_targets(conf)
    assert sorted((t.exchange, t.topic) for t in targets) == [
        ('glance', 'extra'), ('glance', 'stacktach'),
        ('nova', 'extra'), ('nova', 'stacktach')]


def test_prefetch_is_bounded_unless_the_operator_set_it():
    conf = base.make_conf('sqlite://', listener={
        'batch_size': 100, 'concurrent_batches': 3})
    listener.bound_prefetch(conf)
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 400
    conf = base.make_conf('sqlite://')
    listener.bound_prefetch(conf)
    conf.set_override('rabbit_qos_prefetch_count', 64,
                      group='oslo_messaging_rabbit')
    listener.bound_prefetch(conf)
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 64
