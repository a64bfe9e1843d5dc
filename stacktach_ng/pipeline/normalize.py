"""One normalized record per notification, whatever its form and producer.

``normalize()`` takes an envelope (see ``forms``) and returns a ``Record``:
``row`` holds the columns of the ``notifications`` table (scrubbed payload
and context as JSON text), ``payload`` and ``context`` the scrubbed
structures for the handlers that look inside them.

What is extracted, and from where (first found wins):

* service and host: ``publisher_id``, both ``compute.host1`` and
  ``nova-compute:host1`` forms;
* generated time: the envelope timestamp, else the context timestamp, else
  the time of receipt (and ``timestamp_missing`` says so); stored as
  naive UTC;
* request ids: the versioned payload (nova puts request_id there), the
  CADF initiator, the context; the global request id from the context
  (neutron and cinder carry nova's request id there);
* project and user: the resource owner in the payload before the caller in
  the context (glance sends an empty context: the image owner is all there
  is);
* the resource: see ``resources``;
* instance states: legacy ``state``/``old_state``,
  ``new_task_state``/``old_task_state``; versioned ``state``, ``task_state``,
  ``power_state`` and the ``state_update`` object of ``instance.update``.
"""

import hashlib
import json
import uuid

from stacktach_ng.common import jsonutils
from stacktach_ng.common import timestamps
from stacktach_ng.pipeline import definitions
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import resources
from stacktach_ng.pipeline import scrub
from stacktach_ng.pipeline.rejection import Rejected
from stacktach_ng.pipeline.storable import storable_text

# Namespace of the deterministic ids given to messages that have none.
MESSAGE_ID_NAMESPACE = uuid.UUID('3d1a7f64-8f0c-5c35-9b3a-5e7c1c9e2b10')

_MAX_ID = 128
_MAX_EVENT_TYPE = 255


class Record:
    """A normalized notification on its way through the handlers."""

    __slots__ = ('row', 'payload', 'context', '_versioned', 'resource_ids',
                 'failure')

    def __init__(self, row, payload, context, versioned=None,
                 resource_ids=None, failure=None):
        self.row = row
        self.payload = payload
        self.context = context
        self._versioned = versioned
        # Every resource a bulk notification names (the row holds the
        # first), else None.
        self.resource_ids = resource_ids
        # The reason of a failure an info notification reports (CADF
        # outcome failure), '' without a reason; None when it reports none.
        self.failure = failure

    def versioned_data(self):
        """``resources.versioned_data`` of the payload, found once during
        normalization rather than by every handler that looks inside."""
        if self._versioned is None:
            self._versioned = resources.versioned_data(self.payload)
        return self._versioned

    def __repr__(self):
        return '<Record %s %s>' % (self.row['message_id'],
                                   self.row['event_type'])


def split_publisher(publisher_id):
    """(service, host) of ``compute.host1`` or ``nova-compute:host1``.

    The separator is whichever of ':' and '.' comes first, so that a host
    that is a domain name stays whole. Without a separator the whole id is
    the service.
    """
    if not publisher_id or type(publisher_id) in (dict, list):
        return None, None
    publisher_id = storable_text(str(publisher_id))
    colon = publisher_id.find(':')
    dot = publisher_id.find('.')
    if colon == -1 and dot == -1:
        return publisher_id[:64], None
    if colon == -1 or (dot != -1 and dot < colon):
        cut = dot
    else:
        cut = colon
    return (publisher_id[:cut][:64] or None,
            publisher_id[cut + 1:][:255] or None)


def service_and_host(publisher_id, definition, data, rules):
    """(service, host) of a notification.

    The publisher id names both (``compute.host1``, ``nova-compute:host1``)
    unless it is only a host (glance of old sends ``localhost``, the audit
    middleware ``uwsgi``, a host name ``conductor-1.example.com`` whose
    first part is no publisher of the service) or missing (octavia): then
    the definition's fallback names the service and the whole id is the
    host. Short legacy prefixes become the binary's name (the
    ``publishers`` and ``aliases`` of the definitions).
    """
    prefix, host = split_publisher(publisher_id)
    fallback = (definition.fallback_of(data)
                if definition is not None else None)
    if host is None:
        if prefix is None:
            return fallback, None
        if fallback is not None:
            return fallback, _text(publisher_id, 255)
        service, _named = rules.service(definition, prefix, data)
        return service, None
    service, named = rules.service(definition, prefix, data)
    if not named:
        return service, _text(publisher_id, 255)
    return service, host


def deterministic_message_id(envelope):
    """A stable id for a message that arrived without one.

    The same content always gets the same id, so a replayed file or a
    redelivery of an id-less message is still recognised as a duplicate.
    """
    canonical = json.dumps(
        [envelope.get('event_type'), envelope.get('publisher_id'),
         envelope['metadata'].get('timestamp'), envelope.get('priority'),
         envelope.get('payload')],
        sort_keys=True, separators=(',', ':'), default=str)
    digest = hashlib.sha1(canonical.encode('utf-8'),
                          usedforsecurity=False).hexdigest()
    return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, digest))


# The JSON text stored for a payload or a context: strict JSON, what
# orjson writes (see jsonutils.dumps for what it cannot).
json_text = jsonutils.dumps


_ESCAPED_NUL = '\\u0000'


def storable_strings(value):
    """A copy of a JSON-like structure whose strings (keys included) are
    all ``storable_text``."""
    kind = type(value)
    if kind is str:
        return storable_text(value)
    if kind is dict:
        return {(storable_text(key) if type(key) is str else key):
                storable_strings(item) for key, item in value.items()}
    if kind is list:
        return [storable_strings(item) for item in value]
    return value


def _text(value, limit):
    """A bounded text column from a scalar; None for empty or structured
    values (a dict where an id is expected is no id)."""
    if value is None or value == '':
        return None
    kind = type(value)
    if kind is not str:
        if kind is dict or kind is list or kind is bool:
            return None
        value = str(value)
    if len(value) <= limit and value.isascii() and '\x00' not in value:
        return value
    return storable_text(value[:limit]) or None


def _message_id(envelope):
    value = envelope['metadata'].get('message_id')
    if value is None or value == '':
        return deterministic_message_id(envelope)
    value = storable_text(str(value))
    if not value:
        # Nothing left once made storable (a message id of NULs): an
        # empty id would make every such message one and the same.
        return deterministic_message_id(envelope)
    if len(value) > _MAX_ID:
        # Keep it unique and bounded rather than truncating into a clash.
        return 'sha1:' + hashlib.sha1(value.encode('utf-8'),
                                      usedforsecurity=False).hexdigest()
    return value


def normalize(envelope, received_at, max_size=None, rules=None):
    """The ``Record`` of an envelope; raises ``Rejected`` for poison.

    ``rules``: the resource definitions (the active ones by default).
    """
    event_type = envelope.get('event_type')
    if not event_type or not isinstance(event_type, str):
        raise Rejected('missing or invalid event_type', envelope)
    if len(event_type) > _MAX_EVENT_TYPE:
        raise Rejected('event_type longer than %d characters'
                       % _MAX_EVENT_TYPE, envelope)
    payload = envelope.get('payload')
    if payload is None:
        payload = {}
    ctxt = envelope.get('ctxt')
    if not isinstance(ctxt, dict):
        ctxt = {}

    try:
        payload, payload_text = scrub.scrub_serialized(payload,
                                                       json_text)
        ctxt, context_text = scrub.scrub_serialized(ctxt, json_text,
                                                    repeated=True)
    except (RecursionError, ValueError, TypeError):
        raise Rejected('payload nested too deeply', envelope) from None
    if type(payload) is not dict:
        # oslo.messaging sends any JSON value as a payload (ceilometer's
        # samples are a list): it is stored as it came, and the handlers
        # get an empty mapping to look into.
        payload = {}
    # Strings no database takes (NUL, lone surrogates) are dropped from
    # the stored text here, but the handlers read the structure: a
    # profiler span name, an error message or a flavor name taken from it
    # as it came failed the whole batch (PostgreSQL refuses NUL, every
    # driver a lone surrogate). Both show in the text: every JSON writer
    # escapes a NUL, and the fallback writer keeps lone surrogates, which
    # storable_text() then replaces. Only such payloads are walked.
    unstorable = _ESCAPED_NUL in payload_text
    if not payload_text.isascii():
        stored = storable_text(payload_text)
        unstorable = unstorable or stored != payload_text
        payload_text = stored
    if unstorable and payload:
        try:
            payload = storable_strings(payload)
        except RecursionError:
            raise Rejected('payload nested too deeply', envelope) from None
    if not context_text.isascii():
        context_text = storable_text(context_text)
    if max_size is not None and len(payload_text) > max_size:
        raise Rejected('payload of %d bytes is larger than max_message_size '
                       '(%d)' % (len(payload_text), max_size), envelope,
                       size=len(payload_text))

    metadata = envelope['metadata']
    generated_at = (timestamps.parse(metadata.get('timestamp'))
                    or timestamps.parse(ctxt.get('timestamp')))
    # Without a timestamp the time of receipt stands in, and the row says
    # so: an import dates such a message at the import.
    timestamp_missing = generated_at is None
    if timestamp_missing:
        generated_at = received_at
    # An export carries what the row knew that its message did not say.
    flags = metadata.get(forms.EXPORT_FLAGS)
    conflict_of = None
    if isinstance(flags, dict):
        timestamp_missing = (timestamp_missing
                             or flags.get('timestamp_missing') is True)
        conflict_of = _text(flags.get('conflict_of'), 128)
    if rules is None:
        rules = definitions.active()
    versioned = resources.versioned_data(payload, payload_text)
    data, object_name, object_version = versioned
    facts = resources.extract(event_type, payload, data, object_name,
                              rules)
    service, host = service_and_host(envelope.get('publisher_id'),
                                     facts['definition'], data, rules)

    request_id = (facts.get('request_id') or ctxt.get('request_id'))
    row = {
        'message_id': _message_id(envelope),
        'event_type': storable_text(event_type),
        'priority': envelope['priority'].upper(),
        'publisher_id': _text(envelope.get('publisher_id'), 255),
        'service': _text(service, 64),
        'host': host,
        'generated_at': generated_at,
        'received_at': received_at,
        'request_id': _text(request_id, 255),
        'global_request_id': _text(ctxt.get('global_request_id'), 255),
        'project_id': _text(facts.get('project_id')
                            or ctxt.get('project_id')
                            or ctxt.get('tenant_id')
                            or ctxt.get('tenant')
                            or ctxt.get('project'), 64),
        'user_id': _text(facts.get('user_id') or ctxt.get('user_id')
                         or ctxt.get('user'), 64),
        'resource_type': _text(facts.get('resource_type'), 64),
        'resource_id': _text(facts.get('resource_id'), 255),
        'vm_state': _text(facts.get('vm_state'), 32),
        'old_vm_state': _text(facts.get('old_vm_state'), 32),
        'task_state': _text(facts.get('task_state'), 64),
        'old_task_state': _text(facts.get('old_task_state'), 64),
        'power_state': _text(facts.get('power_state'), 32),
        'object_name': _text(object_name, 128),
        'object_version': _text(object_version, 16),
        'payload': payload_text,
        'context': context_text,
        'timestamp_missing': timestamp_missing,
        'conflict_of': conflict_of,
    }
    ids = facts.get('resource_ids')
    if ids is not None:
        ids = tuple(dict.fromkeys(
            found for found in (_text(rid, 255) for rid in ids) if found))
    return Record(row, payload, ctxt, versioned,
                  ids if ids and len(ids) > 1 else None,
                  facts.get('failure'))
