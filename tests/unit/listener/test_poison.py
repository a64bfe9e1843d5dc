"""Poison that oslo.messaging alone would drop: undecodable bodies and
missing or unknown priorities."""

import kombu.exceptions
import pytest
from oslo_messaging._drivers import common as rpc_common
from oslo_messaging._drivers import impl_rabbit
from oslo_messaging.notify import dispatcher as notify_dispatcher

from stacktach_ng.common import jsonutils
from stacktach_ng.listener import poison
from stacktach_ng.pipeline import rejection

REQUEUE = notify_dispatcher.NotificationResult.REQUEUE


class FakeKombuMessage:
    """What the rabbit driver hands to ``RabbitMessage``."""

    def __init__(self, body, payload=None, error=None):
        self.body = body
        self._payload = payload
        self._error = error
        self.acked = False

    @property
    def payload(self):
        if self._error is not None:
            raise self._error
        return self._payload

    def ack(self):
        self.acked = True


def _decode(message):
    return poison.decode_body(message, rpc_common.deserialize_msg)


def test_decode_body_unwraps_the_v2_envelope():
    inner = {'event_type': 'a.b', 'priority': 'INFO', 'payload': {}}
    body = {'oslo.version': '2.0', 'oslo.message': jsonutils.dumps(inner)}
    assert _decode(FakeKombuMessage(b'', payload=body)) == inner


@pytest.mark.parametrize('inner_text', [
    '{"payload": {"big": 123456789012345678901234567890, "f": 0.1,'
    ' "e": 1e300, "u": "\\u00e9\\ud83d\\ude00 \u65e5", "n": null,'
    ' "l": [true, false, {"x": []}]}, "event_type": "a.b"}',
    '{"dup": 1, "dup": 2}',
    '{"nan": NaN}',
])
def test_decode_body_reads_the_envelope_as_oslo_messaging_does(inner_text):
    # The worker parses the inner document with orjson; the result must be
    # what oslo.messaging's own parser gives.
    body = {'oslo.version': '2.0', 'oslo.message': inner_text}
    ours = _decode(FakeKombuMessage(b'', payload=dict(body)))
    theirs = rpc_common.deserialize_msg(dict(body))
    assert repr(ours) == repr(theirs)


def test_decode_body_parses_json_sent_without_content_type():
    body = b'{"event_type": "a.b"}'
    assert _decode(FakeKombuMessage(body, payload=body)) == {
        'event_type': 'a.b'}
    assert _decode(FakeKombuMessage(body, payload=body.decode())) == {
        'event_type': 'a.b'}


@pytest.mark.parametrize('message, reason', [
    (FakeKombuMessage(b'{"x', error=kombu.exceptions.DecodeError('bad')),
     'message body is not valid JSON: bad'),
    (FakeKombuMessage(b'not json', payload='not json'),
     'message body is not valid JSON'),
    (FakeKombuMessage(b'[1]', payload=[1]),
     'message body is not a JSON object'),
    (FakeKombuMessage(b'', payload={'oslo.version': '2.0',
                                    'oslo.message': '{"x'}),
     'undecodable oslo.message envelope'),
    (FakeKombuMessage(b'', payload={'oslo.version': '9.0',
                                    'oslo.message': '{}'}),
     'undecodable oslo.message envelope'),
    (FakeKombuMessage(b'', payload={'oslo.version': '2.0',
                                    'oslo.message': '[1]'}),
     'oslo.message is not a JSON object'),
])
def test_decode_body_rejects(message, reason):
    with pytest.raises(rejection.Rejected) as caught:
        _decode(message)
    assert caught.value.reason.startswith(reason)


def test_rabbit_capture_turns_undecodable_bodies_into_marked_messages():
    RabbitMessage = poison.capturing_class(impl_rabbit.RabbitMessage,
                                           rpc_common.deserialize_msg)

    good = RabbitMessage(FakeKombuMessage(
        b'', payload={'event_type': 'a.b', 'priority': 'INFO'}))
    assert dict(good) == {'event_type': 'a.b', 'priority': 'INFO'}

    raw = FakeKombuMessage(b'\xff{"token": "abc" garbage' + b'x' * 50000,
                           error=kombu.exceptions.DecodeError('bad'))
    bad = RabbitMessage(raw)
    marker = bad[poison.POISON_KEY]
    assert isinstance(marker, poison.PoisonBody)
    assert marker.reason.startswith('message body is not valid JSON')
    assert marker.size == len(raw.body)
    assert len(marker.excerpt) <= rejection.EXCERPT_LIMIT * 4
    # Acknowledging still reaches the broker's message.
    bad.acknowledge()
    assert raw.acked


class FakeIncoming:
    def __init__(self, message, ctxt=None):
        self.message = message
        self.ctxt = ctxt or {}


class RecordingEndpoint:
    def __init__(self, result=None):
        self.calls = []
        self.result = result

    def __getattr__(self, priority):
        if priority not in poison.forms.PRIORITIES:
            raise AttributeError(priority)

        def method(messages):
            self.calls.append((priority, messages))
            return self.result
        return method


def _dispatcher(endpoint_result=None, poison_result=None):
    endpoint = RecordingEndpoint(endpoint_result)
    poisoned = []

    def on_poison(errors):
        poisoned.extend(errors)
        return poison_result

    # The priorities must be real attributes for the dispatcher to see.
    for priority in poison.forms.PRIORITIES:
        setattr(endpoint, priority, getattr(endpoint, priority))
    return poison.ListenerDispatcher([endpoint], on_poison), endpoint, \
        poisoned


def _body(priority='INFO', **extra):
    body = {'message_id': 'm-%s' % priority, 'event_type': 'a.b',
            'publisher_id': 'compute.h', 'payload': {'k': 1},
            'timestamp': '2026-01-02 03:04:05', 'priority': priority}
    body.update(extra)
    return body


def test_dispatcher_sorts_by_priority_and_routes_poison():
    dispatcher, endpoint, poisoned = _dispatcher()
    no_priority = _body(message_id='m-none')
    del no_priority['priority']
    incoming = [
        FakeIncoming(_body('INFO'), {'request_id': 'req-1'}),
        FakeIncoming(_body('WARNING')),
        FakeIncoming(_body('error')),
        FakeIncoming(no_priority),
        FakeIncoming(_body(None, message_id='m-null')),
        FakeIncoming(_body(42, message_id='m-number')),
        FakeIncoming(_body('LOUD', message_id='m-loud')),
        FakeIncoming({poison.POISON_KEY: poison.PoisonBody(
            'message body is not valid JSON: x', b'{"x')}),
        # A producer cannot forge the marker: this is a normal message.
        FakeIncoming(_body('info', message_id='m-forged',
                           **{poison.POISON_KEY: {'reason': 'x'}})),
    ]
    assert dispatcher.dispatch(incoming) == set()
    calls = dict((priority, messages) for priority, messages
                 in endpoint.calls)
    assert sorted(calls) == ['error', 'info', 'warn']
    assert [m['metadata']['message_id'] for m in calls['info']] == [
        'm-INFO', 'm-forged']
    assert calls['info'][0]['ctxt'] == {'request_id': 'req-1'}
    assert calls['info'][0]['payload'] == {'k': 1}
    reasons = sorted(error.reason for error in poisoned)
    assert reasons == [
        'message body is not valid JSON: x',
        'missing priority', 'missing priority',
        "unknown priority '42'", "unknown priority 'LOUD'"]
    by_id = {rejection._field(error.message, 'message_id'): error
             for error in poisoned if isinstance(error.message, dict)}
    assert by_id['m-loud'].message['event_type'] == 'a.b'
    raw = [error for error in poisoned
           if not isinstance(error.message, dict)][0]
    assert raw.message == '{"x'
    assert raw.size == 3


def test_dispatcher_requeues_what_the_endpoint_requeues():
    dispatcher, endpoint, poisoned = _dispatcher(endpoint_result=REQUEUE)
    info = FakeIncoming(_body('info'))
    audit = FakeIncoming(_body('audit'))
    bad = FakeIncoming(_body('nope'))
    assert dispatcher.dispatch([info, audit, bad]) == {info, audit}
    assert len(poisoned) == 1


def test_dispatcher_requeues_poison_it_could_not_record():
    dispatcher, _endpoint, _poisoned = _dispatcher(poison_result=REQUEUE)
    bad = FakeIncoming(_body('nope'))
    good = FakeIncoming(_body('info'))
    assert dispatcher.dispatch([bad, good]) == {bad}


def test_dispatcher_survives_a_message_it_cannot_read():
    dispatcher, endpoint, poisoned = _dispatcher()

    class Exploding(dict):
        def get(self, key, default=None):
            raise RuntimeError('boom')

    good = FakeIncoming(_body('info'))
    assert dispatcher.dispatch([FakeIncoming(Exploding(a=1)), good]) == set()
    assert [p for p, _m in endpoint.calls] == ['info']
    assert poisoned[0].reason == 'undecodable notification: boom'


def test_dispatcher_consumes_every_priority():
    dispatcher, _endpoint, _poisoned = _dispatcher()
    assert set(dispatcher.supported_priorities) == set(
        poison.forms.PRIORITIES)


def test_dispatcher_hands_a_whole_batch_to_on_batch():
    endpoint = RecordingEndpoint()
    calls = []

    def on_batch(by_priority, errors):
        calls.append((by_priority, errors))
        return None

    dispatcher = poison.ListenerDispatcher([endpoint], lambda errors: None,
                                           on_batch=on_batch)
    incoming = [FakeIncoming(_body('INFO')), FakeIncoming(_body('error')),
                FakeIncoming(_body('LOUD', message_id='m-loud')),
                FakeIncoming(_body('info', message_id='m-2'))]
    assert dispatcher.dispatch(incoming) == set()
    # One call for every priority and the poison: one transaction.
    assert len(calls) == 1 and not endpoint.calls
    by_priority, errors = calls[0]
    assert sorted(by_priority) == ['error', 'info']
    assert [m['metadata']['message_id'] for m in by_priority['info']] == [
        'm-INFO', 'm-2']
    assert [error.reason for error in errors] == ["unknown priority 'LOUD'"]


def test_dispatcher_requeues_the_whole_batch_on_batch_requeues():
    dispatcher = poison.ListenerDispatcher(
        [RecordingEndpoint()], lambda errors: None,
        on_batch=lambda by_priority, errors: REQUEUE)
    incoming = [FakeIncoming(_body('info')), FakeIncoming(_body('nope'))]
    assert dispatcher.dispatch(incoming) == set(incoming)
