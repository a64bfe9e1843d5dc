"""Which resource a notification is about, and the facts around it.

``extract()`` returns a dict with any of: resource_type, resource_id,
project_id, user_id, request_id, vm_state, old_vm_state, task_state,
old_task_state, power_state. Missing facts are simply absent: an unknown
service's notification is stored with what can be found, never dropped.

Where each producer puts them:

* nova, legacy: a flat payload (``instance_id``, ``tenant_id``,
  ``state``/``old_state``, ``new_task_state``/``old_task_state``,
  ``state_description`` = the task state); the scheduler's payloads carry
  the instance inside ``request_spec``; the ERROR notifications named after
  a function (``snapshot_instance``) carry it in ``args``.
* nova, versioned: ``nova_object.data`` with ``uuid``, ``tenant_id``,
  ``request_id``, ``action_initiator_user``/``_project`` and, for
  ``instance.update``, a ``state_update`` object. Ironic (``ironic_object``)
  and any other ``<ns>_object`` payload are read the same way.
* glance: ``image.*`` with ``id`` and ``owner``, an empty context.
* cinder: ``volume_id``, ``snapshot_id``, ``backup_id`` ... and ``tenant_id``.
* neutron (and its former LBaaS/FWaaS/VPNaaS plugins): ``{"port": {...}}``
  on create/update, ``{"ports": [...]}`` in bulk, ``{"port_id": ...}`` on
  delete.
* heat: ``stack_identity``, an ARN ending with the stack id.
* designate: ``dns.zone.*``, ``dns.recordset.*`` with ``id``.
* keystone: CADF (``initiator``, ``target``) or the basic format
  (``resource_info``).

Project and user are the resource owner's (payload) before the caller's
(context, handled by ``normalize``).
"""

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


# event_type prefix -> resource type, for the services whose event types
# name the resource first (glance image.*, cinder volume.*, ...). The
# longest matching prefix (up to three dotted parts) wins.
_PREFIX_TYPES = {
    'compute.instance': 'instance',
    'instance': 'instance',
    'compute_task': 'instance',
    'scheduler': 'instance',
    'compute.metrics': 'host',
    'metrics': 'host',
    'image': 'image',
    'image.member': 'image',
    'task': 'task',
    'volume': 'volume',
    'snapshot': 'snapshot',
    'backup': 'backup',
    'consistencygroup': 'consistencygroup',
    'cgsnapshot': 'cgsnapshot',
    'group': 'group',
    'group_snapshot': 'group_snapshot',
    'network': 'network',
    'subnet': 'subnet',
    'subnetpool': 'subnetpool',
    'port': 'port',
    'router': 'router',
    'floatingip': 'floatingip',
    'security_group': 'security_group',
    'security_group_rule': 'security_group_rule',
    'rbac_policy': 'rbac_policy',
    'trunk': 'trunk',
    'network.floating_ip': 'floatingip',
    'orchestration.stack': 'stack',
    'orchestration.autoscaling': 'stack',
    'dns.zone': 'zone',
    'dns.domain': 'zone',
    'dns.recordset': 'recordset',
    'dns.record': 'record',
    'aggregate': 'aggregate',
    'flavor': 'flavor',
    'keypair': 'keypair',
    'server_group': 'server_group',
    'servergroup': 'server_group',
    'service': 'service',
    'baremetal.node': 'node',
    'baremetal.port': 'baremetal_port',
    'baremetal.portgroup': 'baremetal_portgroup',
    'baremetal.chassis': 'baremetal_chassis',
    'baremetal.allocation': 'baremetal_allocation',
    'baremetal.deploy_template': 'baremetal_deploy_template',
    'baremetal.volumeconnector': 'baremetal_volume_connector',
    'baremetal.volumetarget': 'baremetal_volume_target',
    'octavia.loadbalancer': 'loadbalancer',
    'loadbalancer': 'loadbalancer',
    'share': 'share',
    'metadef_namespace': 'metadef_namespace',
    'metadef_object': 'metadef_object',
    'metadef_property': 'metadef_property',
    'metadef_resource_type': 'metadef_resource_type',
    'metadef_tag': 'metadef_tag',
}

# Payload keys that hold the id of a resource type, tried in order. Types
# not listed use ``<type>_id``, ``id``, ``uuid``.
_ID_KEYS = {
    'instance': ('instance_id', 'instance_uuid', 'uuid'),
    'image': ('id', 'image_id'),
    'task': ('id', 'task_id'),
    'volume': ('volume_id', 'id'),
    'snapshot': ('snapshot_id', 'id'),
    'backup': ('backup_id', 'id'),
    'zone': ('zone_id', 'domain_id', 'id'),
    'recordset': ('recordset_id', 'id'),
    'record': ('record_id', 'id'),
    'aggregate': ('uuid', 'aggregate_id', 'id'),
    'flavor': ('flavorid', 'flavor_id', 'id'),
    'keypair': ('name', 'key_name'),
    'server_group': ('uuid', 'server_group_id', 'id'),
    'service': ('uuid', 'id'),
    'node': ('uuid', 'node_uuid', 'id'),
    'host': ('nodename', 'host'),
    'loadbalancer': ('id', 'loadbalancer_id'),
    'share': ('share_id', 'id'),
}

# Neutron-style payloads: ``{"<type>": {...}}``, ``{"<type>s": [...]}``,
# ``{"<type>_id": ...}``.
_NEUTRON_TYPES = frozenset((
    'network', 'subnet', 'subnetpool', 'port', 'router', 'floatingip',
    'security_group', 'security_group_rule', 'rbac_policy', 'trunk'))

_METADEF_TYPES = frozenset((
    'metadef_namespace', 'metadef_object', 'metadef_property',
    'metadef_resource_type', 'metadef_tag'))

_PROJECT_KEYS = ('tenant_id', 'project_id', 'owner', 'tenant', 'project',
                 'owner_id')
_USER_KEYS = ('user_id', 'user')
_INITIATOR_PROJECT = 'action_initiator_project'
_INITIATOR_USER = 'action_initiator_user'

_EMPTY = (None, '')


_type_cache = {}
_MAX_CACHED_TYPES = 10000


def resource_type_of(event_type):
    """The resource type an event type names, or None."""
    try:
        return _type_cache[event_type]
    except KeyError:
        pass
    found = None
    parts = event_type.split('.', 3)
    for length in range(min(len(parts), 3), 0, -1):
        found = _PREFIX_TYPES.get('.'.join(parts[:length]))
        if found:
            break
    # Event types are a small vocabulary; the bound keeps garbage out.
    if len(_type_cache) < _MAX_CACHED_TYPES:
        _type_cache[event_type] = found
    return found


def _first(mapping, keys):
    for key in keys:
        value = mapping.get(key)
        if value not in _EMPTY and not isinstance(value, (dict, list)):
            return value
    return None


def _id_of(body):
    if isinstance(body, dict):
        return body.get('id')
    return None


def _neutron(rtype, data, facts):
    """Neutron: ``{"port": {...}}`` on create/update, ``{"ports": [...]}``
    in bulk, ``{"port_id": ...}`` on delete; the owner inside the body."""
    body = data.get(rtype)
    if not isinstance(body, dict):
        body = data.get('router_interface') if rtype == 'router' else None
    if not isinstance(body, dict):
        bulk = data.get(rtype + 's')
        if isinstance(bulk, list) and bulk and isinstance(bulk[0], dict):
            # A bulk create names several resources: the first stands for
            # the notification; all of them stay in the payload.
            body = bulk[0]
    rid = (_id_of(body) or data.get(rtype + '_id') or data.get('id')
           # nova-network's legacy floating IPs are named by address.
           or (data.get('floating_ip') if rtype == 'floatingip' else None))
    facts['resource_type'] = rtype
    facts['resource_id'] = rid
    if isinstance(body, dict):
        project = _first(body, _PROJECT_KEYS)
        if project is not None:
            facts['project_id'] = project


def _cadf(event_type, payload, facts):
    """Keystone, CADF or basic format: the target (or ``resource_info``)
    is the resource, the initiator the caller."""
    parts = event_type.split('.')
    target = payload.get('target')
    target = target if isinstance(target, dict) else {}
    if event_type.startswith('identity.') and len(parts) > 2:
        # identity.project.created, identity.role_assignment.created ...
        rtype = parts[1]
    else:
        # identity.authenticate, or CADF from another service: the last
        # word of the target's type (service/security/account/user).
        type_uri = target.get('typeURI')
        rtype = (type_uri.rstrip('/').rsplit('/', 1)[-1]
                 if isinstance(type_uri, str) and type_uri else
                 parts[0] if event_type.startswith('identity.') else None)
    facts['resource_type'] = rtype
    rid = payload.get('resource_info')
    if rid in _EMPTY or isinstance(rid, (dict, list)):
        rid = target.get('id')
    facts['resource_id'] = rid
    project = payload.get('project')
    if isinstance(project, str) and project:
        facts['project_id'] = project
    initiator = payload.get('initiator')
    if isinstance(initiator, dict):
        user = initiator.get('user_id') or initiator.get('id')
        if user:
            facts['user_id'] = user
        if 'project_id' not in facts and initiator.get('project_id'):
            facts['project_id'] = initiator['project_id']
        if initiator.get('request_id'):
            facts['request_id'] = initiator['request_id']


def _stack_id(data):
    """Heat: ``stack_identity`` is an ARN ending in ``/<stack id>``."""
    identity = data.get('stack_identity')
    if isinstance(identity, str) and identity:
        return identity.rstrip('/').rsplit('/', 1)[-1]
    return _first(data, ('stack_id', 'id'))


def _metadef_id(data):
    """Glance metadata definitions are named inside their namespace."""
    namespace = data.get('namespace')
    name = data.get('name')
    if namespace and name:
        return '%s/%s' % (namespace, name)
    return namespace or name or None


def _request_spec_instance(data):
    """The (first) instance of a legacy scheduler payload."""
    spec = data.get('request_spec')
    if isinstance(spec, dict):
        props = spec.get('instance_properties')
        if isinstance(props, dict) and props.get('uuid'):
            return props['uuid']
        uuids = spec.get('instance_uuids')
        if isinstance(uuids, list) and uuids:
            return uuids[0]
    return None


def _exception_instance(data):
    """The instance of a legacy ERROR notification sent by nova's
    ``wrap_exception`` (event type = the failed function's name)."""
    args = data.get('args')
    if isinstance(args, dict):
        instance = args.get('instance')
        if isinstance(instance, dict) and instance.get('uuid'):
            return instance['uuid']
        found = _first(args, ('instance_uuid', 'instance_id'))
        if found is not None:
            return found
    exception = data.get('exception')
    if isinstance(exception, dict):
        kwargs = exception.get('kwargs')
        if isinstance(kwargs, dict):
            return _first(kwargs, ('instance_uuid', 'instance_id'))
    return None


def _instance_states(data, versioned, facts):
    if versioned:
        update = object_data(data.get('state_update'))
        if isinstance(update, dict):
            # instance.update: old_task_state is stored as given, even
            # when nova reports the new value there (see the analyses).
            facts['vm_state'] = update.get('state')
            facts['old_vm_state'] = update.get('old_state')
            facts['task_state'] = update.get('new_task_state')
            facts['old_task_state'] = update.get('old_task_state')
        else:
            facts['vm_state'] = data.get('state')
            facts['task_state'] = data.get('task_state')
        facts['power_state'] = data.get('power_state')
        return
    facts['vm_state'] = data.get('state')
    facts['old_vm_state'] = data.get('old_state')
    if 'new_task_state' in data:
        facts['task_state'] = data['new_task_state']
        facts['old_task_state'] = data.get('old_task_state')
    else:
        # Legacy payloads other than updates carry the task state as
        # state_description ("" when there is none).
        facts['task_state'] = data.get('state_description') or None
    facts['power_state'] = data.get('power_state')


def _node_states(data, facts):
    facts['vm_state'] = data.get('provision_state')
    facts['old_vm_state'] = data.get('previous_provision_state')
    facts['power_state'] = data.get('power_state')


def _unknown(event_type, data, facts):
    """A service this module does not know: the resource its event type
    names first, when the payload carries it neutron-style, else any id."""
    head = event_type.split('.', 1)[0]
    body = data.get(head)
    if isinstance(body, dict) and body.get('id'):
        facts['resource_type'] = head
        facts['resource_id'] = body['id']
        project = _first(body, _PROJECT_KEYS)
        if project is not None:
            facts['project_id'] = project
        return
    if 'exception' in data and 'args' in data:
        instance = _exception_instance(data)
        if instance is not None:
            facts['resource_type'] = 'instance'
            facts['resource_id'] = instance
            return
    rid = _first(data, ('resource_id', head + '_id', 'id', 'uuid'))
    if rid is not None:
        facts['resource_type'] = head
        facts['resource_id'] = rid


def extract(event_type, payload, data, object_name):
    """Facts about the resource of a notification (see module doc).

    ``data`` is the versioned object's data (``versioned_data``) or the
    payload itself; ``object_name`` is None for legacy payloads.
    """
    facts = {}
    versioned = object_name is not None
    rtype = resource_type_of(event_type)

    if 'typeURI' in payload or event_type.startswith('identity.'):
        _cadf(event_type, payload, facts)
    elif rtype in _NEUTRON_TYPES:
        _neutron(rtype, data, facts)
    elif rtype == 'stack':
        facts['resource_type'] = rtype
        facts['resource_id'] = _stack_id(data)
    elif rtype in _METADEF_TYPES:
        facts['resource_type'] = rtype
        facts['resource_id'] = _metadef_id(data)
    elif rtype is not None:
        facts['resource_type'] = rtype
        keys = _ID_KEYS.get(rtype)
        if keys is None:
            keys = (rtype + '_id', 'id', 'uuid')
        if rtype == 'image' and event_type.startswith('image.member'):
            keys = ('image_id',)
        facts['resource_id'] = _first(data, keys)
    elif versioned:
        # An unknown versioned object: its uuid, if it has one.
        rid = _first(data, ('uuid', 'id'))
        if rid is not None:
            facts['resource_type'] = object_name
            facts['resource_id'] = rid
    else:
        _unknown(event_type, data, facts)

    if rtype == 'instance':
        _instance_states(data, versioned, facts)
        if facts.get('resource_id') is None:
            nested = object_data(data.get('instance'))
            if isinstance(nested, dict):
                facts['resource_id'] = nested.get('uuid')
            else:
                facts['resource_id'] = (_request_spec_instance(data)
                                        or _exception_instance(data))
    elif rtype == 'node':
        _node_states(data, facts)

    if 'project_id' not in facts:
        project = _first(data, _PROJECT_KEYS)
        if project is None and versioned:
            project = data.get(_INITIATOR_PROJECT)
        if project is not None:
            facts['project_id'] = project
    if 'user_id' not in facts:
        user = _first(data, _USER_KEYS)
        if user is None and versioned:
            user = data.get(_INITIATOR_USER)
        if user is not None:
            facts['user_id'] = user
    if versioned:
        request_id = data.get('request_id')
        if request_id:
            facts['request_id'] = request_id
    return facts
