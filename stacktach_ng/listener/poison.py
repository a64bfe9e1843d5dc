"""Poison messages that oslo.messaging would drop before any endpoint.

Two kinds of bad message never reach a notification endpoint with
oslo.messaging as it is, so they would vanish without a trace:

* a body that cannot be decoded (not JSON, not a JSON object, a broken
  ``oslo.message`` envelope): the rabbit driver fails to build its
  ``RabbitMessage``, logs "Failed to process message ... skipping it" and
  rejects the message without requeue (``impl_rabbit.Consumer._callback``);
* a message whose ``priority`` is missing or unknown: the notification
  dispatcher logs "Unknown priority" and acknowledges it; a priority that is
  not a string even makes the dispatcher raise, which requeues the whole
  batch forever.

SPEC section 3 wants every poison message recorded in ``rejected_messages``
and acknowledged. This module does it with two small pieces:

``capturing_class()``
    a subclass of the rabbit driver's ``RabbitMessage`` that turns a body
    it cannot decode into a marked message carrying the reason and a
    bounded excerpt of the raw body. The marked message then travels the
    normal path (listener, batch, dispatcher) and is acknowledged after its
    rejected row is committed. The listener installs it in the driver with
    ``common.patches.install_rabbit_message_class``, which checks first
    that the driver is built as the replacement expects and stops the
    listener if a future oslo.messaging changed it.

``ListenerDispatcher``
    a ``BatchNotificationDispatcher`` that sorts a batch by priority itself:
    marked and priority-less messages become ``Rejected`` errors handed to
    one poison callback, the others go to the endpoint of their priority --
    or, with ``on_batch``, the whole batch goes to one call, so that the
    listener stores it in one transaction.
"""


from oslo_log import log as logging
from oslo_messaging.notify import dispatcher as notify_dispatcher

from stacktach_ng.common import jsonutils
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import rejection

LOG = logging.getLogger(__name__)

# Key of the marker in a message the rabbit driver could not decode. Its
# value is a PoisonBody, a type no JSON document can produce, so that a
# producer cannot forge the marker.
POISON_KEY = '_stacktach_ng_poison'

# Raw bytes kept from an undecodable body: enough for the excerpt of the
# rejected row (which is bounded again there), never the whole message.
_RAW_EXCERPT_BYTES = rejection.EXCERPT_LIMIT * 4
_REASON_DETAIL = 160

class PoisonBody:
    """What is known of a message body that could not be decoded."""

    __slots__ = ('reason', 'excerpt', 'size')

    def __init__(self, reason, raw):
        self.reason = reason
        if raw is None:
            raw = b''
        if isinstance(raw, str):
            raw = raw.encode('utf-8', 'replace')
        self.size = len(raw)
        self.excerpt = bytes(raw[:_RAW_EXCERPT_BYTES]).decode('utf-8',
                                                              'replace')

    def to_rejected(self):
        return rejection.Rejected(self.reason, self.excerpt, size=self.size)


def decode_body(raw_message, deserialize_msg):
    """The notification dict of a kombu message; raises ``Rejected``.

    ``raw_message.payload`` decodes the body by its content type. A body
    published without a content type arrives as text: it is parsed as JSON
    here rather than dropped, since producers of notifications only ever
    send JSON.
    """
    try:
        body = raw_message.payload
        if isinstance(body, (bytes, bytearray, memoryview, str)):
            body = jsonutils.loads(bytes(body) if not isinstance(body, str)
                                   else body)
    except Exception as error:
        raise rejection.Rejected('message body is not valid JSON: %s'
                                 % _detail(error)) from None
    if not isinstance(body, dict):
        raise rejection.Rejected('message body is not a JSON object')
    try:
        body = _unwrap(body, deserialize_msg)
    except Exception as error:
        raise rejection.Rejected('undecodable oslo.message envelope: %s'
                                 % _detail(error)) from None
    if not isinstance(body, dict):
        raise rejection.Rejected('oslo.message is not a JSON object')
    return body


# The envelope every oslo.messaging since 2013 sends (messagingv2).
_ENVELOPE_VERSION = '2.0'
_VERSION_KEY = 'oslo.version'
_MESSAGE_KEY = 'oslo.message'


def _unwrap(body, deserialize_msg):
    """``deserialize_msg(body)``, with the inner JSON of the usual 2.0
    envelope parsed by orjson: the inner document is the whole
    notification, and the standard parser oslo.messaging uses costs the
    worker several times more. Anything else (no envelope, another
    version) goes to oslo.messaging's own function, which decides."""
    inner = body.get(_MESSAGE_KEY)
    if body.get(_VERSION_KEY) == _ENVELOPE_VERSION and isinstance(inner, str):
        return jsonutils.loads(inner)
    return deserialize_msg(body)


def _detail(error):
    text = str(error).strip().splitlines()
    text = text[0] if text else type(error).__name__
    return text[:_REASON_DETAIL]


def capturing_class(base, deserialize_msg):
    """The rabbit driver's ``RabbitMessage`` (``base``), made to mark an
    undecodable body as poison; installed by the listener with
    ``common.patches.install_rabbit_message_class``."""

    class CapturingRabbitMessage(base):
        """``RabbitMessage`` that marks an undecodable body as poison
        instead of raising (which would make the driver drop it)."""

        def __init__(self, raw_message):
            try:
                body = decode_body(raw_message, deserialize_msg)
            except rejection.Rejected as error:
                LOG.warning('Undecodable message (%s): recording it as '
                            'rejected', error.reason)
                body = {POISON_KEY: PoisonBody(
                    error.reason, getattr(raw_message, 'body', None))}
            dict.__init__(self, body)
            self._raw_message = raw_message

    CapturingRabbitMessage.__name__ = base.__name__
    CapturingRabbitMessage.__qualname__ = base.__qualname__
    return CapturingRabbitMessage


class ListenerDispatcher(notify_dispatcher.BatchNotificationDispatcher):
    """Dispatch a batch by priority; poison goes to ``on_poison``.

    ``on_poison(errors)`` receives a list of ``Rejected`` errors and returns
    None (acknowledge) or ``NotificationResult.REQUEUE``, like an endpoint
    method. The endpoints' ``filter_rule`` is not supported: the listener's
    endpoints take everything.

    With ``on_batch``, ``on_batch(by_priority, errors)`` receives the whole
    batch at once -- ``{priority: [message, ...]}`` and the ``Rejected``
    errors -- and its result applies to every message of the batch. A
    batch of the bus holds messages of several priorities (one consumer
    per priority queue, one connection): sorted out to one endpoint call
    per priority, each part would be a transaction and a hand-off of its
    own, most of them a few warnings or errors beside hundreds of infos.
    """

    def __init__(self, endpoints, on_poison, serializer=None, on_batch=None):
        super().__init__(endpoints, serializer)
        self._on_poison = on_poison
        self._on_batch = on_batch

    def dispatch(self, incoming):
        by_priority = {}
        poison = []
        for raw in incoming:
            try:
                priority, message = self.unpack(raw)
            except rejection.Rejected as error:
                poison.append((raw, error))
            except Exception as error:
                # Whatever a producer managed to send must not fail the
                # whole batch (that would requeue it forever).
                poison.append((raw, rejection.Rejected(
                    'undecodable notification: %s' % _detail(error),
                    _raw_view(raw))))
            else:
                by_priority.setdefault(priority, []).append((raw, message))
        if self._on_batch is not None:
            result = self._exec_callback(
                lambda batch: self._on_batch(*batch),
                ({priority: [message for _raw, message in items]
                  for priority, items in by_priority.items()},
                 [error for _raw, error in poison]))
            if result == notify_dispatcher.NotificationResult.REQUEUE:
                return set(incoming)
            return set()
        requeues = set()
        for priority, items in by_priority.items():
            for _screen, callback in self._callbacks_by_priority.get(
                    priority, []):
                result = self._exec_callback(
                    callback, [message for _raw, message in items])
                if result == notify_dispatcher.NotificationResult.REQUEUE:
                    requeues.update(raw for raw, _message in items)
                    break
        if poison:
            result = self._exec_callback(
                self._on_poison, [error for _raw, error in poison])
            if result == notify_dispatcher.NotificationResult.REQUEUE:
                requeues.update(raw for raw, _error in poison)
        return requeues

    def unpack(self, incoming):
        """(priority, listener-form message) of one incoming message.

        Raises ``Rejected`` for a marked undecodable body and for a missing
        or unknown priority (``warning`` and ``fatal`` are accepted as
        ``warn`` and ``critical``).
        """
        body = incoming.message
        marker = body.get(POISON_KEY)
        if isinstance(marker, PoisonBody):
            raise marker.to_rejected()
        ctxt = self.serializer.deserialize_context(incoming.ctxt)
        message = {
            'ctxt': ctxt,
            'publisher_id': body.get('publisher_id'),
            'event_type': body.get('event_type'),
            'payload': self.serializer.deserialize_entity(
                ctxt, body.get('payload')),
            'metadata': {'message_id': body.get('message_id'),
                         'timestamp': body.get('timestamp')},
        }
        priority = body.get('priority')
        if priority is None or priority == '':
            raise rejection.Rejected('missing priority',
                                     dict(message, priority=priority))
        try:
            priority = forms.normalize_priority(priority)
        except rejection.Rejected as error:
            raise rejection.Rejected(
                error.reason, dict(message, priority=priority)) from None
        return priority, message


def _raw_view(incoming):
    message = getattr(incoming, 'message', None)
    return dict(message) if isinstance(message, dict) else repr(message)
