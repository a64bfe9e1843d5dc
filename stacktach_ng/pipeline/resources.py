"""Which resource a notification is about, and the facts around it.

``extract()`` returns a dict with any of: resource_type, resource_id,
resource_ids (when a bulk event names several), project_id, user_id,
request_id, vm_state, old_vm_state, task_state, old_task_state,
power_state, failure (the reason of a failure the payload reports) and
definition (the one that matched). Missing facts are simply absent: an
unknown service's notification is stored with what can be found, never
dropped.

Where each producer puts them is data, not code: the resource
definitions (``definitions``, ``resource_definitions.yaml``). This module
only unwraps versioned payloads (``<ns>_object.data``), whose data the
definitions read.

Project and user are the resource owner's (payload) before the caller's
(context, handled by ``normalize``).
"""

from stacktach_ng.pipeline import definitions

_OBJECT_DATA_SUFFIX = '.data'
_OBJECT_NAME_SUFFIX = '.name'
_OBJECT_VERSION_SUFFIX = '.version'
_OBJECT_MARK = '_object.'
_OBJECT_DATA_MARK = '_object.data"'


def versioned_data(payload, payload_text=None):
    """(data, object name, object version) of a versioned payload.

    Versioned payloads are ``{"<ns>_object.name", "<ns>_object.version",
    "<ns>_object.data", ...}``: nova uses ``nova_object``, ironic
    ``ironic_object``. A legacy payload returns ``(payload, None, None)``.
    ``payload_text``, the payload's JSON text when known, saves a scan of
    the keys of legacy payloads.
    """
    # Fast path: nova, the bulk of versioned traffic.
    data = payload.get('nova_object.data')
    if data is not None:
        if isinstance(data, dict):
            return (data, payload.get('nova_object.name'),
                    payload.get('nova_object.version'))
        return payload, None, None
    if payload_text is not None and _OBJECT_DATA_MARK not in payload_text:
        # Legacy: the serialized payload shows it without a key scan.
        return payload, None, None
    for key in payload:
        if key.endswith(_OBJECT_DATA_SUFFIX) and _OBJECT_MARK in key:
            prefix = key[:-len(_OBJECT_DATA_SUFFIX)]
            data = payload[key]
            if isinstance(data, dict):
                return (data, payload.get(prefix + _OBJECT_NAME_SUFFIX),
                        payload.get(prefix + _OBJECT_VERSION_SUFFIX))
    return payload, None, None


def object_data(value):
    """The data of a nested versioned object, or the value itself."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(_OBJECT_DATA_SUFFIX) and isinstance(item, dict):
                return item
    return value


def extract(event_type, payload, data, object_name, rules=None):
    """Facts about the resource of a notification (see module doc).

    ``data`` is the versioned object's data (``versioned_data``) or the
    payload itself; ``object_name`` is None for legacy payloads.
    ``rules`` are the ``definitions.Definitions`` (the active ones by
    default).
    """
    rules = rules if rules is not None else definitions.active()
    definition, rtype, ids = rules.match(event_type, payload, data)
    facts = {'definition': definition}
    versioned = object_name is not None
    project = user = None
    if definition is not None:
        facts['resource_type'] = rtype
        if ids:
            facts['resource_id'] = ids[0]
            if len(ids) > 1:
                facts['resource_ids'] = ids
        project, user = definition.owner(rtype, data)
        for column, paths in definition.states:
            facts[column] = definitions.first(paths, data)
        state = definition.state(event_type, rtype, data)
        if state is not None:
            facts['vm_state'], facts['task_state'] = state
        request_id = definitions.first(definition.request_id, data)
        if request_id is not None:
            facts['request_id'] = request_id
        failure = definition.failure(data)
        if failure is not None:
            facts['failure'] = failure
    if project is None or user is None or versioned:
        found_project, found_user, request_id = rules.default_owner(
            data, versioned)
        if project is None:
            project = found_project
        if user is None:
            user = found_user
        if request_id is not None:
            facts['request_id'] = request_id
    if project:
        facts['project_id'] = project
    if user:
        facts['user_id'] = user
    return facts
