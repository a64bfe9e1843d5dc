"""The wire of the store processes, and the configuration snapshot they
start from."""

import datetime

from stacktach_ng import service
from stacktach_ng.listener import store_process
from stacktach_ng.listener import transient
from stacktach_ng.pipeline import rejection
from tests import base

RECEIVED = datetime.datetime(2026, 11, 22, 10, 0, 0, 123456)


def _envelope(number, payload=None):
    return {'priority': 'INFO', 'ctxt': {'request_id': 'req-%d' % number},
            'publisher_id': 'compute.host1', 'event_type': 'x.start',
            'payload': payload if payload is not None else {'n': number},
            'metadata': {'message_id': 'id-%d' % number,
                         'timestamp': '2026-11-22 10:00:00.000001'}}


def test_batch_round_trip_keeps_envelopes_poison_and_time():
    poison = rejection.Rejected('not JSON', b'\xff\xfe', size=2)
    items = [_envelope(1), poison, _envelope(2, {'deep': [1, 'two', None]})]
    decoded, received = store_process.decode_batch(
        store_process.encode_batch(items, RECEIVED))
    assert received == RECEIVED
    assert decoded[:2] == [_envelope(1),
                           _envelope(2, {'deep': [1, 'two', None]})]
    assert len(decoded) == 3
    assert isinstance(decoded[2], rejection.Rejected)
    assert (decoded[2].reason, decoded[2].message, decoded[2].size) == (
        'not JSON', b'\xff\xfe', 2)


def test_batch_round_trip_keeps_integers_json_cannot():
    # orjson refuses integers beyond 64 bits; they must not be changed.
    items = [_envelope(1, {'big': 2 ** 70, 'float': 1.5})]
    decoded, _ = store_process.decode_batch(
        store_process.encode_batch(items, None))
    assert decoded[0]['payload'] == {'big': 2 ** 70, 'float': 1.5}


def _nested(depth):
    value = {}
    for _ in range(depth):
        value = {'a': value}
    return value


def test_a_poison_message_too_deep_to_pickle_keeps_its_shallow_fields():
    """Found by the listener fuzz test: a rejected message nested deeper
    than pickle follows failed its whole batch, which was requeued."""
    deep = _envelope(3, _nested(5000))
    deep['oslo.message'] = _nested(5000)
    poison = rejection.Rejected('oslo.message is not a JSON object', deep)
    items = [_envelope(1), poison]
    decoded, _ = store_process.decode_batch(
        store_process.encode_batch(items, RECEIVED))
    assert decoded[0] == _envelope(1)
    assert decoded[1].reason == 'oslo.message is not a JSON object'
    assert decoded[1].message['event_type'] == 'x.start'
    assert decoded[1].message['metadata']['message_id'] == 'id-3'


def test_an_envelope_too_deep_to_pickle_is_rejected_on_the_way():
    items = [_envelope(1, {'big': 2 ** 70}), _envelope(2, _nested(5000))]
    decoded, _ = store_process.decode_batch(
        store_process.encode_batch(items, RECEIVED))
    assert decoded[0] == _envelope(1, {'big': 2 ** 70})
    assert decoded[1].reason == 'payload nested too deeply'
    assert decoded[1].message['metadata']['message_id'] == 'id-2'


def test_snapshot_restores_overrides_on_a_new_conf():
    conf = base.make_conf('sqlite:///state/x.db',
                          DEFAULT={'host': 'worker-7'},
                          listener={'batch_size': 17,
                                    'handlers': ['notifications', 'errors']})
    values = service.snapshot_conf(conf)
    assert 'config_file' not in values[None]
    other = base.make_conf()
    service.restore_conf(other, values)
    assert other.host == 'worker-7'
    assert other.listener.batch_size == 17
    assert other.listener.handlers == ['notifications', 'errors']
    assert other.database.connection == 'sqlite:///state/x.db'


def test_restore_skips_options_the_child_does_not_have():
    other = base.make_conf()
    service.restore_conf(other, {None: {'no_such_option': 1},
                                  'no_such_group': {'x': 2},
                                  'listener': {'batch_size': 3}})
    assert other.listener.batch_size == 3


def test_store_error_keeps_the_original_type_for_the_log():
    from stacktach_ng.listener import service as listener

    error = store_process.StoreError('lost connection', 'DBConnectionError',
                                     transient=True)
    assert transient.is_transient(error)
    assert listener._error_text(error) == (
        'DBConnectionError: lost connection')
    assert not transient.is_transient(
        store_process.StoreError('bad', 'ValueError', transient=False))


def test_the_store_process_command_needs_its_socket():
    assert store_process.main([]) == 2
    assert store_process.main(['not-a-number']) == 2


def test_settle_freezes_what_is_loaded_and_still_collects_cycles():
    import gc
    import weakref

    threshold = gc.get_threshold()
    try:
        store_process.settle()
        # Everything alive at set-up is out of the collector's sight...
        assert gc.get_freeze_count() > 0
        # ...and the youngest generation waits for far more than
        # Python's 700 allocations before a collection.
        assert gc.get_threshold()[0] == store_process.GC_YOUNG_THRESHOLD
        assert gc.get_threshold()[0] > threshold[0]

        class Node:
            pass

        # A cycle made after set-up is not frozen: a collection frees it.
        node = Node()
        node.me = node
        alive = weakref.ref(node)
        del node
        gc.collect()
        assert alive() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
