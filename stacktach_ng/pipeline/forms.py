"""The forms a notification arrives in, brought to one envelope.

The envelope is what an oslo.messaging notification endpoint receives, plus
the priority::

    {'priority': 'info', 'ctxt': {...}, 'publisher_id': 'compute.host1',
     'event_type': 'compute.instance.update', 'payload': {...},
     'metadata': {'message_id': '...', 'timestamp': '...'}}

Forms understood (SPEC section 3), detected from their keys:

* wire v2: ``{"oslo.version": "2.0", "oslo.message": "<json string>"}``
  (the ``messagingv2`` driver);
* wire v1: the flat body with ``_context_*`` keys, ``message_id``,
  ``timestamp``, ``priority`` (the ``messaging`` driver);
* nova's sample form: ``{priority, event_type, publisher_id, payload}``
  (wire v1 without context);
* listener-callback form: ``{ctxt, publisher_id, event_type, payload,
  metadata}``, with the priority in ``priority`` or ``endpoint_method``.
"""

from stacktach_ng.common import jsonutils
from stacktach_ng.pipeline.rejection import Rejected

PRIORITIES = ('audit', 'debug', 'info', 'warn', 'error', 'critical',
              'sample')
_PRIORITY_ALIASES = {'warning': 'warn', 'fatal': 'critical'}

_CONTEXT_PREFIX = '_context_'
_V2_VERSION = 'oslo.version'
_V2_MESSAGE = 'oslo.message'
# The key of an exported message that holds what its row knew and the
# message did not say (``replay.exporter``): read back by ``normalize``.
EXPORT_FLAGS = 'stacktach_ng'
# The spellings seen on the wire, looked up before anything slower.
_KNOWN_PRIORITIES = {spelling: name for name in PRIORITIES
                     for spelling in (name, name.upper())}


def normalize_priority(value, default='info'):
    """The lowercase priority; raises ``Rejected`` for an unknown one."""
    known = _KNOWN_PRIORITIES.get(value) if type(value) is str else None
    if known is not None:
        return known
    if value is None or value == '':
        return default
    text = str(value).lower()
    text = _PRIORITY_ALIASES.get(text, text)
    if text not in PRIORITIES:
        raise Rejected('unknown priority %r' % str(value)[:40])
    return text


def is_envelope_like(obj):
    """Whether a dict looks like a notification in any known form."""
    return isinstance(obj, dict) and (
        'event_type' in obj or _V2_MESSAGE in obj)


# Key of a wire body -> its context key ('_context_user' -> 'user'), or
# False for a key that is no context key. The keys are a small vocabulary
# repeated in every message: remembering them spares slicing each key of
# each message (contexts of old producers have two dozen keys). Bounded
# against a producer that invents keys.
_context_names = {}
_MAX_CONTEXT_NAMES = 10000


def _context_of(body):
    """The ``_context_*`` entries of a wire body, without the prefix."""
    names = _context_names
    ctxt = {}
    for key, value in body.items():
        name = names.get(key)
        if name is None:
            name = (key[len(_CONTEXT_PREFIX):]
                    if type(key) is str and key.startswith(_CONTEXT_PREFIX)
                    else False)
            if len(names) < _MAX_CONTEXT_NAMES:
                names[key] = name
        if name is not False:
            ctxt[name] = value
    return ctxt


def from_wire(body):
    """Envelope of a wire message body (v1, v2 or the sample form)."""
    if not isinstance(body, dict):
        raise Rejected('message body is not a JSON object', body)
    if _V2_MESSAGE in body:
        inner = body[_V2_MESSAGE]
        if isinstance(inner, (str, bytes)):
            try:
                inner = jsonutils.loads(inner)
            except ValueError as e:
                raise Rejected('oslo.message is not valid JSON: %s' % e,
                               body) from None
        if not isinstance(inner, dict):
            raise Rejected('oslo.message is not a JSON object', body)
        body = inner
    metadata = {'message_id': body.get('message_id'),
                'timestamp': body.get('timestamp')}
    if EXPORT_FLAGS in body:
        metadata[EXPORT_FLAGS] = body[EXPORT_FLAGS]
    return {
        'priority': normalize_priority(body.get('priority')),
        'ctxt': _context_of(body),
        'publisher_id': body.get('publisher_id'),
        'event_type': body.get('event_type'),
        'payload': body.get('payload'),
        'metadata': metadata,
    }


def from_listener(message, priority=None):
    """Envelope of a listener-callback message (ctxt, ..., metadata)."""
    if not isinstance(message, dict):
        raise Rejected('message is not a JSON object', message)
    metadata = message.get('metadata')
    if not isinstance(metadata, dict):
        metadata = {}
    ctxt = message.get('ctxt')
    if not isinstance(ctxt, dict):
        ctxt = {}
    if priority is None:
        priority = message.get('priority') or message.get('endpoint_method')
    return {
        'priority': normalize_priority(priority),
        'ctxt': ctxt,
        'publisher_id': message.get('publisher_id'),
        'event_type': message.get('event_type'),
        'payload': message.get('payload'),
        'metadata': {'message_id': metadata.get('message_id'),
                     'timestamp': metadata.get('timestamp')},
    }


def to_envelope(obj):
    """Envelope of a message in any of the four forms."""
    if not isinstance(obj, dict):
        raise Rejected('message is not a JSON object', obj)
    if 'ctxt' in obj or 'metadata' in obj:
        return from_listener(obj)
    return from_wire(obj)
