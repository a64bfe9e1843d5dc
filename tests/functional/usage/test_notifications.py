"""``[verifier] emit_notifications``: verdicts go out through a real
oslo.messaging Notifier on RabbitMQ."""

import threading
import uuid

import oslo_messaging
import pytest

from stacktach_ng.usage import notifier as exists_notifier
from tests.functional.usage import base
from tests.functional.usage.test_verify import DAY2
from tests.functional.usage.test_verify import P1
from tests.functional.usage.test_verify import _boot
from tests.unit.usage import messages as m


class _Collector:
    """Every notification of the verdict topic, by priority."""

    def __init__(self, expected):
        self.expected = expected
        self.received = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def _add(self, priority, event_type, payload):
        with self._lock:
            self.received.append((priority, event_type, payload))
            if len(self.received) >= self.expected:
                self.done.set()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._add('info', event_type, payload)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._add('error', event_type, payload)


@pytest.fixture
def bus(rabbit_url, migrated_conf):
    topic = 'stng-verdicts-%s' % uuid.uuid4().hex[:10]
    transport = oslo_messaging.get_notification_transport(migrated_conf,
                                                          url=rabbit_url)
    migrated_conf.set_override('topics', [topic],
                               group='oslo_messaging_notifications')
    collector = _Collector(expected=2)
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic)], [collector])
    # The listener declares the queues before anything is sent.
    listener.start()
    yield transport, collector
    listener.stop()
    listener.wait()
    transport.cleanup()


def test_verdicts_are_notified_with_the_original_message_id(
        usage_db, bus):
    transport, collector = bus
    launched = m.day(1, 10)
    good = m.legacy_exists('i-ok', P1, m.day(3, 0, 5), launched, *DAY2)
    bad = m.legacy_exists('i-bad', P1, m.day(3, 0, 5), launched, *DAY2,
                          flavor='m1.large')
    usage_db.load([_boot('i-ok', P1, launched), _boot('i-bad', P1, launched),
                   good, bad])
    verifier = usage_db.verifier(emit_notifications=True)
    verifier.notifier = exists_notifier.ExistsNotifier(
        usage_db.conf, transport=transport)
    result = verifier.run_pass()
    assert (result.verified, result.failed, result.notified) == (1, 1, 2)
    assert collector.done.wait(30), collector.received
    by_id = {payload['original_message_id']: (priority, event_type,
                                              payload['verification'])
             for priority, event_type, payload in collector.received}
    assert set(by_id) == {good['message_id'], bad['message_id']}
    assert by_id[good['message_id']][:2] == (
        'info', 'compute.instance.exists.verified')
    assert by_id[good['message_id']][2]['status'] == 'verified'
    assert by_id[bad['message_id']][:2] == (
        'error', 'compute.instance.exists.failed')
    assert by_id[bad['message_id']][2]['reason'] == 'flavor_mismatch'
    # Sent once: a second pass has nothing new to say.
    assert verifier.run_pass().notified == 0


@pytest.fixture
def usage_db(migrated_conf):
    db = base.UsageDB(migrated_conf)
    yield db
    db.close()
