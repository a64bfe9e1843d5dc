"""Small notifications of every producer, written for these tests.

Each builder returns an envelope-like dict (``ctxt``, ``publisher_id``,
``event_type``, ``payload``, ``priority``, ``message_id``, ``timestamp``);
``as_form()`` turns it into one of the four input forms.
"""

import copy
import json

INSTANCE = '5f8a3b5e-0c54-4a0e-9d2b-0d6f2f8f1a01'
IMAGE = '0b6e1c1e-8d85-4f7a-9a63-4d7b3a5c2b02'
VOLUME = '9a0f6b2c-1d3e-4f5a-8b7c-6d5e4f3a2b03'
SNAPSHOT = '7c1d2e3f-4a5b-4c6d-9e8f-0a1b2c3d4e04'
PORT = '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c05'
NETWORK = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c06'
ROUTER = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d07'
STACK = '4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f08'
ZONE = '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b09'
NODE = '8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d10'
PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00'
CALLER_PROJECT = 'adm1n0000adm1n0000adm1n0000adm1'
USER = 'u5e40000u5e40000u5e40000u5e40000'
REQUEST = 'req-11111111-2222-4333-8444-555555555555'
NOVA_REQUEST = 'req-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
TOKEN = 'gAAAAABtokenvalue0123456789secretish'
PASSWORD = 'Sup3r-S3cret-Pa55'


def _message(event_type, publisher_id, payload, ctxt=None,
             priority='INFO', message_id='m-1',
             timestamp='2026-01-02 03:04:05.678901'):
    return {'priority': priority, 'publisher_id': publisher_id,
            'event_type': event_type, 'payload': payload,
            'ctxt': ctxt if ctxt is not None else {},
            'message_id': message_id, 'timestamp': timestamp}


def legacy_context(**extra):
    ctxt = {'request_id': REQUEST, 'project_id': CALLER_PROJECT,
            'tenant': CALLER_PROJECT, 'user_id': USER, 'user': USER,
            'auth_token': TOKEN, 'is_admin': True, 'roles': ['admin'],
            'service_catalog': [{'type': 'compute', 'endpoints': [
                {'publicURL': 'http://api.example.org:8774/v2.1'}]}],
            'timestamp': '2026-01-02T03:04:00.000000'}
    ctxt.update(extra)
    return ctxt


def nova_legacy_update(old_task='networking', new_task='block_device_mapping',
                       **extra):
    payload = {'instance_id': INSTANCE, 'tenant_id': PROJECT,
               'user_id': USER, 'state': 'building', 'old_state': 'building',
               'old_task_state': old_task, 'new_task_state': new_task,
               'state_description': new_task or '', 'memory_mb': 512,
               'launched_at': '', 'image_ref_url':
               'http://glance.example.org:9292/images/' + IMAGE}
    payload.update(extra)
    return _message('compute.instance.update', 'compute.cmp-01.example.org',
                    payload, legacy_context())


def nova_legacy_create_end():
    payload = {'instance_id': INSTANCE, 'tenant_id': PROJECT,
               'user_id': USER, 'state': 'active', 'state_description': '',
               'launched_at': '2026-01-02T03:04:05.000000',
               'adminPass': PASSWORD, 'message': 'Success'}
    return _message('compute.instance.create.end', 'compute.cmp-01',
                    payload, legacy_context())


def nova_legacy_error():
    """wrap_exception: named after the function, instance in args."""
    payload = {'exception': {'kwargs': {'code': 500}},
               'args': {'instance': {'uuid': INSTANCE, 'vm_state': 'error'},
                        'context': {'auth_token': TOKEN}}}
    return _message('snapshot_instance', 'compute.cmp-01', payload,
                    legacy_context(), priority='ERROR')


def nova_legacy_scheduler():
    payload = {'request_spec': {'instance_properties': {'uuid': INSTANCE},
                                'instance_uuids': [INSTANCE]}}
    return _message('scheduler.run_instance.start', 'scheduler.sch-01',
                    payload, legacy_context())


def _versioned(name, data, version='1.0', namespace='nova'):
    return {namespace + '_object.name': name,
            namespace + '_object.namespace': namespace,
            namespace + '_object.version': version,
            namespace + '_object.data': data}


def nova_versioned_update():
    state_update = _versioned('InstanceStateUpdatePayload', {
        'old_state': 'building', 'state': 'building',
        'old_task_state': 'networking', 'new_task_state': 'networking'})
    data = {'uuid': INSTANCE, 'tenant_id': PROJECT, 'user_id': USER,
            'request_id': NOVA_REQUEST, 'state': 'building',
            'task_state': 'networking', 'power_state': 'pending',
            'action_initiator_user': 'admin-user',
            'action_initiator_project': CALLER_PROJECT,
            'state_update': state_update,
            'flavor': _versioned('FlavorPayload', {'flavorid': 'f1'})}
    return _message('instance.update', 'nova-compute:cmp-01.example.org',
                    _versioned('InstanceUpdatePayload', data, '2.1'))


def nova_versioned_action(event_type='instance.create.end'):
    data = {'uuid': INSTANCE, 'tenant_id': PROJECT, 'user_id': USER,
            'request_id': NOVA_REQUEST, 'state': 'active',
            'task_state': None, 'power_state': 'running'}
    return _message(event_type, 'nova-compute:cmp-01',
                    _versioned('InstanceCreatePayload', data, '1.13'))


def nova_versioned_initiator_only():
    """A payload without an owner: the initiator stands in."""
    data = {'uuid': 'agg-uuid', 'name': 'agg1',
            'action_initiator_user': 'admin-user',
            'action_initiator_project': CALLER_PROJECT}
    return _message('aggregate.create.end', 'nova-api:api-01',
                    _versioned('AggregatePayload', data, '1.1'))


def glance_image_upload():
    payload = {'id': IMAGE, 'owner': PROJECT, 'status': 'active',
               'size': 1024, 'created_at': '2026-01-02T03:00:00Z'}
    return _message('image.upload', 'image.localhost', payload, {})


def glance_member_create():
    payload = {'image_id': IMAGE, 'member_id': 'someone', 'id': 6}
    return _message('image.member.create', 'image.localhost', payload, {})


def cinder_volume_create():
    payload = {'volume_id': VOLUME, 'tenant_id': PROJECT, 'user_id': USER,
               'status': 'available', 'size': 1,
               'host': 'stor-01@lvm#pool'}
    ctxt = legacy_context(global_request_id=NOVA_REQUEST)
    return _message('volume.create.end', 'volume.stor-01@lvm', payload, ctxt)


def cinder_snapshot_create():
    payload = {'snapshot_id': SNAPSHOT, 'volume_id': VOLUME,
               'tenant_id': PROJECT, 'user_id': USER}
    return _message('snapshot.create.end', 'snapshot.stor-01@lvm', payload,
                    legacy_context())


def neutron_port_create():
    payload = {'port': {'id': PORT, 'network_id': NETWORK,
                        'tenant_id': PROJECT, 'device_owner': 'compute:nova',
                        'device_id': INSTANCE}}
    ctxt = legacy_context(global_request_id=NOVA_REQUEST)
    return _message('port.create.end', 'network.net-01', payload, ctxt)


def neutron_port_delete():
    return _message('port.delete.end', 'network.net-01', {'port_id': PORT},
                    legacy_context())


def neutron_bulk_network_create():
    payload = {'networks': [{'id': NETWORK, 'tenant_id': PROJECT},
                            {'id': 'second-net', 'tenant_id': PROJECT}]}
    return _message('network.create.end', 'network.net-01', payload,
                    legacy_context())


def neutron_router_interface():
    payload = {'router_interface': {'id': ROUTER, 'port_id': PORT,
                                    'tenant_id': PROJECT}}
    return _message('router.interface.create', 'network.net-01', payload,
                    legacy_context())


def neutron_floatingip_update_start():
    payload = {'floatingip': {'port_id': PORT}, 'id': 'fip-1'}
    return _message('floatingip.update.start', 'network.net-01', payload,
                    legacy_context())


def neutron_security_group():
    payload = {'security_group': {'id': 'sg-1', 'tenant_id': PROJECT}}
    return _message('security_group.create.end', 'network.net-01', payload,
                    legacy_context())


def neutron_subnet_create():
    payload = {'subnet': {'id': 'subnet-1', 'network_id': NETWORK,
                          'project_id': PROJECT}}
    return _message('subnet.create.end', 'network.net-01', payload,
                    legacy_context())


def keystone_cadf_authenticate():
    payload = {'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/event',
               'action': 'authenticate', 'outcome': 'failure',
               'initiator': {'typeURI': 'service/security/account/user',
                             'id': USER, 'request_id': REQUEST},
               'target': {'typeURI': 'service/security/account/user',
                          'id': 'target-user'},
               'attachments': [{'name': 'partial_password_hash',
                                'typeURI': 'mime:text/plain',
                                'content': 'HASHEDPARTOFPASSWORD'}]}
    return _message('identity.authenticate', 'identity.ks-01', payload, None)


def keystone_project_created():
    payload = {'resource_info': 'proj-42'}
    return _message('identity.project.created', 'identity.ks-01', payload)


def keystone_role_assignment():
    payload = {'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/event',
               'initiator': {'id': USER}, 'target': {'id': 'tgt'},
               'project': PROJECT, 'role': 'r1', 'user': 'someone'}
    return _message('identity.role_assignment.created', 'identity.ks-01',
                    payload)


def heat_stack_create():
    payload = {'stack_identity':
               'arn:openstack:heat::%s:stacks/web/%s' % (PROJECT, STACK),
               'stack_name': 'web', 'tenant_id': PROJECT, 'user_id': USER,
               'state': 'CREATE_COMPLETE'}
    return _message('orchestration.stack.create.end', 'orchestration.heat-01',
                    payload, legacy_context())


def designate_zone_create():
    payload = {'id': ZONE, 'name': 'example.org.', 'tenant_id': PROJECT}
    ctxt = {'request_id': REQUEST, 'tenant': CALLER_PROJECT,
            'user': USER, 'auth_token': TOKEN}
    return _message('dns.zone.create', 'central.dns-01', payload, ctxt)


def designate_recordset_create():
    payload = {'id': 'rs-1', 'zone_id': ZONE, 'tenant_id': PROJECT}
    return _message('dns.recordset.create', 'central.dns-01', payload)


def ironic_power_set():
    data = {'uuid': NODE, 'owner': PROJECT, 'power_state': 'power on',
            'provision_state': 'active', 'to_power': 'power on'}
    return _message('baremetal.node.power_set.end', 'ironic-conductor.bm-01',
                    _versioned('NodeSetPowerStatePayload', data, '1.15',
                               'ironic'))


def unknown_service():
    payload = {'widget': {'id': 'w-1', 'project_id': PROJECT}}
    return _message('widget.create.end', 'widgetd.host-9', payload,
                    legacy_context())


# -- forms -------------------------------------------------------------

FORMS = ('wire_v1', 'wire_v2', 'listener', 'sample')


def as_form(message, form):
    """``message`` (a builder's dict) in one of ``FORMS``."""
    message = copy.deepcopy(message)
    if form == 'listener':
        return {'ctxt': message['ctxt'],
                'publisher_id': message['publisher_id'],
                'event_type': message['event_type'],
                'payload': message['payload'],
                'metadata': {'message_id': message['message_id'],
                             'timestamp': message['timestamp']},
                'priority': message['priority'].lower()}
    body = {'_context_' + key: value
            for key, value in message['ctxt'].items()}
    body.update({'message_id': message['message_id'],
                 'timestamp': message['timestamp'],
                 'priority': message['priority'],
                 'publisher_id': message['publisher_id'],
                 'event_type': message['event_type'],
                 'payload': message['payload']})
    if form == 'wire_v1':
        return body
    if form == 'wire_v2':
        return {'oslo.version': '2.0', 'oslo.message': json.dumps(body)}
    if form == 'sample':
        # nova's sample form: no context, no id, no timestamp.
        return {'priority': message['priority'],
                'publisher_id': message['publisher_id'],
                'event_type': message['event_type'],
                'payload': message['payload']}
    raise ValueError(form)


ALL_BUILDERS = (
    nova_legacy_update, nova_legacy_create_end, nova_legacy_error,
    nova_legacy_scheduler, nova_versioned_update, nova_versioned_action,
    nova_versioned_initiator_only, glance_image_upload, glance_member_create,
    cinder_volume_create, cinder_snapshot_create, neutron_port_create,
    neutron_port_delete, neutron_bulk_network_create,
    neutron_router_interface, neutron_floatingip_update_start,
    neutron_security_group, neutron_subnet_create,
    keystone_cadf_authenticate, keystone_project_created,
    keystone_role_assignment, heat_stack_create, designate_zone_create,
    designate_recordset_create, ironic_power_set, unknown_service,
)
