"""The listener on a real RabbitMQ and each database backend: everything
stored exactly once, redeliveries ignored, poison recorded."""

import json
import time

from stacktach_ng.common import jsonutils
from tests.functional.listener import conftest
from tests.functional.listener import traffic


def test_every_message_stored_exactly_once(bus):
    items = traffic.messages(400, seed=1)
    bus.publisher.send_all(items)
    conf = bus.conf()
    with conftest.running_listener(conf) as service:
        seen = bus.wait_stored(len(items), timeout=60)
        assert bus.wait_queues_empty() == 0
        stats = service.stats.snapshot()
    ids = bus.stored_ids()
    assert seen == len(items)
    assert len(ids) == len(items)
    assert set(ids) == traffic.ids_of(items)
    assert stats['stored'] == len(items)
    assert stats['rejected'] == 0
    assert stats['requeued'] == 0
    # Every priority went through its own queue and was stored.
    assert {priority for priority, _c, _m in items} == set(
        traffic.PRIORITIES)
    # The worker's heartbeat carries its final counters.
    beats = bus.heartbeats()
    assert len(beats) == 1
    assert beats[0]['stored'] == len(items)
    assert beats[0]['batches'] >= len(items) // 50
    assert beats[0]['worker'].endswith(':%d' % __import__('os').getpid())
    bus.assert_derived_once(items)


def test_redelivered_message_stored_once(bus):
    first = traffic.simulated(300, seed=2)
    again_priority, again_ctxt, again_message = next(
        item for item in first
        if item[2]['event_type'] == 'compute.instance.reboot.end')
    conf = bus.conf()
    with conftest.running_listener(conf) as service:
        bus.publisher.send_all(first)
        assert bus.wait_stored(len(first)) == len(first)
        # The same message id again, in a later batch, with a fresh
        # _unique_id (what a redelivery by the producer looks like).
        bus.publisher.send(again_priority, again_ctxt, dict(again_message))
        _wait_for(service, 'duplicates', 1)
    assert set(bus.stored_ids()) == traffic.ids_of(first)
    bus.assert_derived_once(first)

    # A copy whose content changed is another message reusing the id: a
    # conflict, kept under a derived id, the first copy untouched.
    changed = dict(again_message, payload={'changed': True})
    with conftest.running_listener(conf) as service:
        bus.publisher.send(again_priority, again_ctxt, changed)
        _wait_for(service, 'conflicts', 1)
        stats = service.stats.snapshot()
    assert (stats['duplicates'], stats['stored']) == (0, 1)
    ids = set(bus.stored_ids())
    assert len(ids) == len(first) + 1
    derived, = ids - traffic.ids_of(first)
    table = conftest.NOTIFICATIONS
    with bus.engine.connect() as connection:
        rows = {row.message_id: row for row in connection.execute(
            table.select().where(table.c.message_id.in_(
                [again_message['message_id'], derived])))}
    original = rows[again_message['message_id']]
    assert original.conflict_of is None
    assert 'changed' not in json.loads(original.payload)
    assert rows[derived].conflict_of == again_message['message_id']
    assert json.loads(rows[derived].payload) == {'changed': True}


def _wait_for(service, counter, value, timeout=30):
    deadline = time.monotonic() + timeout
    while (service.stats.snapshot()[counter] < value
           and time.monotonic() < deadline):
        time.sleep(0.1)
    assert service.stats.snapshot()[counter] == value


def test_poison_recorded_and_valid_messages_stored(bus):
    valid = traffic.messages(60, seed=3)
    info_queue = '%s.info' % bus.topic
    half = len(valid) // 2
    # The first valid messages declare the queues, as producers do.
    bus.publisher.send_all(valid[:half])

    too_big = traffic.make_message(
        'compute.instance.update', {'blob': 'x' * (5 * 1024 * 1024)},
        message_id='poison-too-big')
    # Any JSON value is a valid payload for oslo.messaging (ceilometer's
    # samples are lists): such a message is stored, not rejected. A body
    # that is not a JSON object is poison (the raw '[1, 2, 3]' below).
    list_payload = traffic.make_message(
        'telemetry.polling', [{'counter_name': 'cpu', 'volume': 1}],
        message_id='list-payload')
    no_event_type = traffic.make_message(
        'compute.instance.update', {'a': 1}, message_id='poison-no-event')
    del no_event_type['event_type']
    no_priority = traffic.make_message(
        'compute.instance.update', {'a': 1}, message_id='poison-no-priority')
    del no_priority['priority']
    odd_priority = traffic.make_message(
        'compute.instance.update', {'a': 1}, priority='LOUD',
        message_id='poison-odd-priority')
    for message in (too_big, list_payload, no_event_type):
        bus.publisher.send('info', {}, message)
    # Routed to the info queue, but without (or with a made-up) priority
    # in the body: oslo.messaging alone would drop them silently.
    bus.publisher.send('info', {}, no_priority, routing_priority='info')
    bus.publisher.send('info', {}, odd_priority, routing_priority='info')
    # Bodies no oslo.messaging producer sends: the rabbit driver alone
    # would reject (drop) them before any endpoint.
    garbage = b'{"oslo.version": "2.0", "oslo.message": "{\\"event_"}'
    traffic.publish_raw(bus.rabbit_url, bus.exchange, info_queue, garbage)
    traffic.publish_raw(bus.rabbit_url, bus.exchange, info_queue,
                        b'[1, 2, 3]')
    traffic.publish_raw(bus.rabbit_url, bus.exchange, info_queue,
                        b'{"token": "secret-value", "broken": ',
                        content_type='text/plain')
    bus.publisher.send_all(valid[half:])

    conf = bus.conf(batch_size=200)
    expected_rejections = 7
    with conftest.running_listener(conf) as service:
        stored = bus.wait_stored(len(valid) + 1, timeout=60)
        deadline = time.monotonic() + 30
        while (len(bus.rejected()) < expected_rejections
               and time.monotonic() < deadline):
            time.sleep(0.1)
        assert bus.wait_queues_empty() == 0
        stats = service.stats.snapshot()
    rejected = bus.rejected()
    assert set(bus.stored_ids()) == traffic.ids_of(valid) | {
        'list-payload'}, [(row['reason'], row['message_id'])
                          for row in rejected]
    assert stored == len(valid) + 1
    assert len(rejected) == expected_rejections, [
        (row['reason'], row['message_id']) for row in rejected]
    assert stats['rejected'] == expected_rejections
    assert stats['requeued'] == 0
    by_id = {row['message_id']: row for row in rejected
             if row['message_id']}
    assert 'larger than max_message_size' in by_id['poison-too-big'][
        'reason']
    assert by_id['poison-too-big']['size'] > 5 * 1024 * 1024
    assert len(by_id['poison-too-big']['excerpt']) <= 4096
    assert 'event_type' in by_id['poison-no-event']['reason']
    assert by_id['poison-no-priority']['reason'] == 'missing priority'
    assert 'unknown priority' in by_id['poison-odd-priority']['reason']
    raw_rows = [row for row in rejected if not row['message_id']]
    assert len(raw_rows) == 3
    reasons = sorted(row['reason'] for row in raw_rows)
    assert any(reason.startswith('undecodable oslo.message envelope')
               for reason in reasons), reasons
    assert 'message body is not a JSON object' in reasons
    assert any(reason.startswith('message body is not valid JSON')
               for reason in reasons), reasons
    excerpts = ' '.join(row['excerpt'] for row in raw_rows)
    assert '"oslo.message"' in excerpts
    assert '[1, 2, 3]' in excerpts
    # A raw body is scrubbed like any other excerpt.
    assert 'secret-value' not in excerpts
    for row in rejected:
        assert row['source'] == 'listener'
        assert jsonutils.dumps(row['excerpt'])
