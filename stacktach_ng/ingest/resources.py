"""Which resource a notification is about, and the facts around it.

``extract()`` returns a dict with any of: resource_type, resource_id,
project_id, user_id, request_id, vm_state, old_vm_state, task_state,
old_task_state, power_state. Missing facts are simply absent: an unknown
service's notification is stored with what can be found, never dropped.
"""

_NOVA_OBJECT = 'nova_object.'
_OBJECT_DATA_SUFFIX = '.data'
_OBJECT_NAME_SUFFIX = '.name'
_OBJECT_VERSION_SUFFIX = '.version'


def versioned_data(payload):
    """(data, object name, object version) of a versioned payload.

    Versioned payloads are ``{"<ns>_object.name", "<ns>_object.version",
    "<ns>_object.data", ...}``: nova uses ``nova_object``, other projects
    their own prefix. A legacy payload returns ``(payload, None, None)``.
    """
    for key in payload:
        if key.endswith(_OBJECT_DATA_SUFFIX) and '_object' in key:
            prefix = key[:-len(_OBJECT_DATA_SUFFIX)]
            data = payload[key]
            if isinstance(data, dict):
                return (data, payload.get(prefix + _OBJECT_NAME_SUFFIX),
                        payload.get(prefix + _OBJECT_VERSION_SUFFIX))
    return payload, None, None


def _object_data(value):
    """The data of a nested versioned object, or the value itself."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(_OBJECT_DATA_SUFFIX) and isinstance(item, dict):
                return item
    return value


# event_type prefix -> resource type, for the services whose event types
# name the resource first (glance image.*, cinder volume.*, ...). The
# longest matching prefix wins.
_PREFIX_TYPES = {
    'compute.instance': 'instance',
    'instance': 'instance',
    'compute_task': 'instance',
    'scheduler': 'instance',
    'compute.metrics': 'host',
    'image': 'image',
    'image.member': 'image',
    'volume': 'volume',
    'snapshot': 'snapshot',
    'backup': 'backup',
    'consistencygroup': 'consistencygroup',
    'group': 'group',
    'group_snapshot': 'group_snapshot',
    'network': 'network',
    'subnet': 'subnet',
    'port': 'port',
    'router': 'router',
    'router.interface': 'router',
    'floatingip': 'floatingip',
    'security_group': 'security_group',
    'security_group_rule': 'security_group_rule',
    'rbac_policy': 'rbac_policy',
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
    'octavia.loadbalancer': 'loadbalancer',
    'share': 'share',
    'metadef_namespace': 'metadef_namespace',
    'metadef_object': 'metadef_object',
    'metadef_property': 'metadef_property',
    'metadef_resource_type': 'metadef_resource_type',
}

# Payload keys that hold the id of a resource type, tried in order.
_ID_KEYS = {
    'instance': ('instance_id', 'instance_uuid', 'uuid'),
    'image': ('id', 'image_id'),
    'volume': ('volume_id', 'id'),
    'snapshot': ('snapshot_id', 'id'),
    'backup': ('backup_id', 'id'),
    'stack': ('stack_identity', 'stack_id', 'id'),
    'zone': ('zone_id', 'domain_id', 'id'),
    'recordset': ('recordset_id', 'id'),
    'record': ('record_id', 'id'),
    'aggregate': ('uuid', 'aggregate_id', 'id'),
    'flavor': ('flavorid', 'flavor_id', 'id'),
    'keypair': ('name', 'key_name'),
    'server_group': ('uuid', 'server_group_id', 'id'),
    'service': ('uuid', 'id'),
    'node': ('uuid', 'id'),
    'host': ('host', 'nodename'),
}

_PROJECT_KEYS = ('tenant_id', 'project_id', 'owner', 'tenant')
_USER_KEYS = ('user_id', 'user')


def resource_type_of(event_type):
    parts = event_type.split('.')
    for length in range(min(len(parts), 3), 0, -1):
        found = _PREFIX_TYPES.get('.'.join(parts[:length]))
        if found:
            return found
    if event_type.startswith('identity.'):
        return parts[1] if len(parts) > 2 else 'identity'
    return None


def _first(mapping, keys):
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ''):
            return value
    return None


def _neutron_resource(rtype, payload):
    """Neutron: ``{"port": {...}}`` on create/update, ``{"port_id": ..}``
    on delete."""
    body = payload.get(rtype)
    if isinstance(body, dict):
        return body.get('id'), body
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get('id'), body[0]
    rid = payload.get(rtype + '_id')
    if rid is None and rtype == 'router':
        rid = payload.get('router_interface', {}).get('id') if isinstance(
            payload.get('router_interface'), dict) else None
    return rid, payload


_NEUTRON_TYPES = frozenset((
    'network', 'subnet', 'port', 'router', 'floatingip', 'security_group',
    'security_group_rule', 'rbac_policy'))


def _cadf(payload, facts):
    """Keystone CADF: the target is the resource, the initiator the user."""
    if 'resource_info' in payload:
        facts['resource_id'] = payload.get('resource_info')
    target = payload.get('target')
    if isinstance(target, dict) and 'resource_id' not in facts:
        facts['resource_id'] = target.get('id')
    initiator = payload.get('initiator')
    if isinstance(initiator, dict):
        facts.setdefault('user_id', initiator.get('id'))
        project = initiator.get('project_id')
        if project:
            facts.setdefault('project_id', project)
        request_id = initiator.get('request_id')
        if request_id:
            facts.setdefault('request_id', request_id)
    if 'resource_id' in payload and 'resource_id' not in facts:
        facts['resource_id'] = payload['resource_id']


def _instance_states(data, versioned, facts):
    if versioned:
        update = _object_data(data.get('state_update'))
        if isinstance(update, dict):
            facts['vm_state'] = update.get('state')
            facts['old_vm_state'] = update.get('old_state')
            facts['task_state'] = update.get('new_task_state')
            facts['old_task_state'] = update.get('old_task_state')
        else:
            facts['vm_state'] = data.get('state')
            facts['task_state'] = data.get('task_state')
        facts['power_state'] = data.get('power_state')
    else:
        facts['vm_state'] = data.get('state')
        facts['old_vm_state'] = data.get('old_state')
        facts['task_state'] = data.get('new_task_state')
        facts['old_task_state'] = data.get('old_task_state')
        facts['power_state'] = data.get('power_state')


def extract(event_type, payload, data, object_name):
    """Facts about the resource of a notification (see module doc)."""
    facts = {}
    versioned = object_name is not None
    rtype = resource_type_of(event_type)

    if event_type.startswith('identity.') or 'typeURI' in payload:
        _cadf(payload, facts)
        facts['resource_type'] = rtype
    elif rtype in _NEUTRON_TYPES:
        rid, body = _neutron_resource(rtype, data)
        facts['resource_type'] = rtype
        facts['resource_id'] = rid
        if isinstance(body, dict):
            project = _first(body, _PROJECT_KEYS)
            if project:
                facts['project_id'] = project
    elif rtype is not None:
        facts['resource_type'] = rtype
        keys = _ID_KEYS.get(rtype, (rtype + '_id', 'id', 'uuid'))
        facts['resource_id'] = _first(data, keys)
        if rtype == 'image' and event_type.startswith('image.member'):
            facts['resource_id'] = data.get('image_id')
    elif versioned:
        # An unknown versioned object: its uuid, if it has one.
        facts['resource_type'] = object_name
        facts['resource_id'] = data.get('uuid')
    else:
        facts['resource_id'] = _first(data, ('resource_id', 'id', 'uuid'))
        if facts['resource_id'] is not None:
            facts['resource_type'] = event_type.split('.')[0]

    if rtype == 'instance':
        _instance_states(data, versioned, facts)
        if facts.get('resource_id') is None:
            nested = _object_data(data.get('instance'))
            if isinstance(nested, dict):
                facts['resource_id'] = nested.get('uuid')

    if 'project_id' not in facts:
        project = _first(data, _PROJECT_KEYS)
        if isinstance(project, (str, int)):
            facts['project_id'] = project
    if 'user_id' not in facts:
        user = _first(data, _USER_KEYS)
        if isinstance(user, (str, int)):
            facts['user_id'] = user
    if versioned:
        request_id = data.get('request_id')
        if request_id:
            facts['request_id'] = request_id
    return facts
