"""Message and payload builders, with the fields real producers send.

Every builder returns plain JSON-ready dicts. The shapes follow what the
services put on the bus:

* nova legacy (``compute.instance.*``): nova's ``info_from_instance``
  fields, flat, plus the state fields of ``compute.instance.update``;
  error payloads add ``message``, ``code`` and ``exception`` (the
  exception's kwargs); ``wrap_exception`` events are named after the
  failing function with ``{"exception", "args"}`` payloads;
* nova versioned (``instance.*``): ``nova_object.*`` envelopes around the
  InstancePayload family, request_id and action_initiator_* inside;
* glance: the v2 image notification dict, empty context;
* cinder: the volume usage dict, published as ``volume.<host>@<backend>``;
* neutron: ``{"port": {...}}`` bodies, ``{"port_id": ...}`` on delete.

Times: the envelope ``timestamp`` is ``str(datetime)`` (the microseconds
vanish when they are 0, as in oslo.messaging); legacy nova payload times
use nova's ``strtime`` (``2026-01-01T10:00:00.000000``), versioned ones
``isotime`` (``2026-01-01T10:00:00Z``), glance ``isotime`` and cinder
``isoformat`` with ``+00:00``.
"""

from stacktach_ng.simulator import model

# Power states as nova's versioned payloads name them.
POWER_NAMES = {0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown',
               6: 'crashed', 7: 'suspended'}

ROLES = ['member', 'reader', 'load-balancer_member', 'creator']


def envelope_time(moment):
    """Envelope timestamp: ``2026-01-01 10:00:00.123456``."""
    return str(moment)


def strtime(moment):
    """nova's legacy payload time: ``2026-01-01T10:00:00.123456``."""
    if moment is None:
        return ''
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%f')


def isotime(moment):
    """Versioned payload / glance time: ``2026-01-01T10:00:00Z``."""
    if moment is None:
        return None
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def cinder_time(moment):
    if moment is None:
        return None
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%f') + '+00:00'


def nova_object(name, version, data):
    return {'nova_object.name': name, 'nova_object.namespace': 'nova',
            'nova_object.version': version, 'nova_object.data': data}


class Request:
    """A request context: who asked, under which request id."""

    __slots__ = ('request_id', 'global_request_id', 'project_id',
                 'project_name', 'user_id', 'user_name', 'roles',
                 'is_admin', 'remote_address', 'timestamp', 'auth_token')

    def __init__(self, source, project_id, project_name, user_id, timestamp,
                 global_request_id=None, is_admin=False, roles=None):
        self.request_id = source.request_id()
        self.global_request_id = global_request_id
        self.project_id = project_id
        self.project_name = project_name
        self.user_id = user_id
        self.user_name = 'user-' + user_id[:8]
        self.roles = list(roles or ROLES)
        self.is_admin = is_admin
        self.remote_address = '198.51.100.%d' % source.randint(2, 250)
        self.timestamp = timestamp
        self.auth_token = 'gAAAAA' + source.hex(40)


def _service_catalog(region='RegionOne'):
    return [{'type': kind, 'name': name, 'endpoints': [
        {'region': region, 'internalURL': url, 'publicURL': url,
         'adminURL': url}]} for kind, name, url in (
        ('volumev3', 'cinderv3', 'http://192.0.2.10:8776/v3'),
        ('image', 'glance', 'http://192.0.2.10:9292'),
        ('network', 'neutron', 'http://192.0.2.10:9696'))]


def nova_context(request, with_token=False):
    """The ``_context_*`` keys of a nova message (RequestContext.to_dict)."""
    ctxt = {
        'user': request.user_id,
        'tenant': request.project_id,
        'system_scope': None,
        'project': request.project_id,
        'domain': None,
        'user_domain': 'default',
        'project_domain': 'default',
        'is_admin': request.is_admin,
        'read_only': False,
        'show_deleted': False,
        'request_id': request.request_id,
        'global_request_id': request.global_request_id,
        'resource_uuid': None,
        'roles': request.roles,
        'user_identity': '%s %s - default default' % (request.user_id,
                                                       request.project_id),
        'is_admin_project': True,
        'user_id': request.user_id,
        'project_id': request.project_id,
        'read_deleted': 'no',
        'remote_address': request.remote_address,
        'timestamp': strtime(request.timestamp),
        'quota_class': None,
        'user_name': request.user_name,
        'project_name': request.project_name,
    }
    if with_token:
        # What pre-14.4 oslo.messaging let through: scrubbing tests need it.
        ctxt['auth_token'] = request.auth_token
        ctxt['service_catalog'] = _service_catalog()
    return ctxt


def openstack_context(request, with_token=False):
    """The context of cinder and neutron messages (oslo.context keys)."""
    ctxt = {
        'user_id': request.user_id,
        'project_id': request.project_id,
        'system_scope': None,
        'domain_id': None,
        'user_domain_id': 'default',
        'project_domain_id': 'default',
        'is_admin': request.is_admin,
        'read_only': False,
        'show_deleted': False,
        'request_id': request.request_id,
        'global_request_id': request.global_request_id,
        'resource_uuid': None,
        'roles': request.roles,
        'user_identity': '%s %s - default default' % (request.user_id,
                                                       request.project_id),
        'is_admin_project': True,
        'tenant_id': request.project_id,
        'timestamp': str(request.timestamp),
        'project_name': request.project_name,
        'user_name': request.user_name,
    }
    if with_token:
        ctxt['auth_token'] = request.auth_token
    return ctxt


def message(source, ctxt, publisher_id, event_type, priority, payload,
            moment):
    """A wire v1 body, keys in the order oslo.messaging writes them."""
    body = {
        'message_id': source.uuid(),
        'publisher_id': publisher_id,
        'event_type': event_type,
        'priority': priority,
        'payload': payload,
        'timestamp': envelope_time(moment),
        '_unique_id': source.hex(),
    }
    for key, value in ctxt.items():
        body['_context_' + key] = value
    return body


# --- nova legacy ----------------------------------------------------------

def _image_meta(image):
    return {
        'base_image_ref': image.base_image_ref or image.id,
        'container_format': image.container_format,
        'disk_format': image.disk_format,
        'min_disk': str(image.min_disk),
        'min_ram': str(image.min_ram),
        'os_distro': image.os_distro,
        'os_version': image.os_version,
        'os_type': 'windows' if image.os_distro == 'windows' else 'linux',
        'hw_disk_bus': 'scsi',
        'hw_scsi_model': 'virtio-scsi',
        'hw_vif_model': 'virtio',
        'hw_qemu_guest_agent': 'yes',
        'os_require_quiesce': 'yes',
        'image_type': 'snapshot' if image.instance_uuid else 'image',
    }


def _launched_at(instance):
    # nova keeps the microseconds in memory during the launching request;
    # every later notification reads the column back, in whole seconds.
    if instance.launched_at is None:
        return None
    if instance.launched_here:
        return instance.launched_at
    return instance.launched_at.replace(microsecond=0)


def legacy_instance(world, instance, fixed_ips=False, **extra):
    """nova's ``info_from_instance`` for an instance, plus ``extra``."""
    flavor = instance.flavor
    image = instance.image
    info = {
        'tenant_id': instance.project.id,
        'user_id': instance.user_id,
        'instance_id': instance.uuid,
        'display_name': instance.display_name,
        'reservation_id': instance.reservation_id,
        'hostname': instance.hostname,
        'instance_type': flavor.name,
        'instance_type_id': flavor.id,
        'instance_flavor_id': flavor.flavorid,
        'memory_mb': flavor.memory_mb,
        'disk_gb': flavor.root_gb + flavor.ephemeral_gb,
        'vcpus': flavor.vcpus,
        'root_gb': flavor.root_gb,
        'ephemeral_gb': flavor.ephemeral_gb,
        'host': instance.host,
        'node': instance.node,
        'availability_zone': 'nova' if instance.host else None,
        'cell_name': '',
        'created_at': str(instance.created_at.replace(microsecond=0))
        + '+00:00',
        'terminated_at': strtime(instance.terminated_at),
        'deleted_at': strtime(instance.deleted_at),
        'launched_at': strtime(_launched_at(instance)),
        'image_ref_url': '%s/images/%s' % (world.glance_api, image.id),
        'os_type': 'windows' if image.os_distro == 'windows' else 'linux',
        'kernel_id': '',
        'ramdisk_id': '',
        'state': instance.vm_state,
        'state_description': instance.task_state or '',
        'progress': instance.progress or '',
        'access_ip_v4': None,
        'access_ip_v6': None,
    }
    if fixed_ips:
        info['fixed_ips'] = [{
            'address': port.address, 'floating_ips': [], 'label': 'private',
            'meta': {}, 'type': 'fixed', 'version': 4,
            'vif_mac': port.mac} for port in instance.ports]
    info['image_meta'] = _image_meta(image)
    info['metadata'] = {'created_by': 'simulator', 'environment': 'prod'}
    info.update(extra)
    return info


def legacy_update(world, instance, old_state, old_task_state,
                  audit_begin, now):
    """``compute.instance.update``: the instance and its state change."""
    payload = legacy_instance(world, instance)
    payload['old_state'] = old_state
    payload['state'] = instance.vm_state
    payload['old_task_state'] = old_task_state
    payload['new_task_state'] = instance.task_state
    payload['audit_period_beginning'] = strtime(audit_begin)
    payload['audit_period_ending'] = strtime(now)
    payload['bandwidth'] = {}
    return payload


def legacy_exists(world, instance, begin, end):
    payload = legacy_instance(world, instance)
    payload['audit_period_beginning'] = str(begin)
    payload['audit_period_ending'] = str(end)
    payload['bandwidth'] = {'private': {'bw_in': 0, 'bw_out': 0}}
    return payload


def exception_kwargs(error):
    """How nova's serializer writes an exception: its kwargs."""
    return {'kwargs': dict(error.kwargs, code=error.code)}


def legacy_fault(world, instance, error, **extra):
    """A ``*.error`` payload: the instance plus message/code/exception."""
    return legacy_instance(world, instance, message=error.message[:255],
                           code=error.code,
                           exception=exception_kwargs(error), **extra)


def wrap_exception_payload(instance, error, **args):
    """The payload of nova's ``wrap_exception`` ERROR event (named after
    the failing function): the exception and the call's arguments."""
    call = dict(args)
    # The Instance object goes through nova's JSON serializer, which
    # writes its fields as a flat dict (the object is dict-compatible).
    call['instance'] = {
        'uuid': instance.uuid, 'vm_state': instance.vm_state,
        'task_state': instance.task_state, 'host': instance.host,
        'node': instance.node, 'project_id': instance.project.id,
        'user_id': instance.user_id, 'display_name': instance.display_name,
        'instance_type_id': instance.flavor.id,
        'image_ref': instance.image.id, 'launched_on': instance.host,
        'power_state': instance.power_state}
    return {'exception': exception_kwargs(error), 'args': call}


# --- nova versioned -------------------------------------------------------

def versioned_flavor(flavor):
    return nova_object('FlavorPayload', '1.4', {
        'description': None, 'disabled': False,
        'ephemeral_gb': flavor.ephemeral_gb,
        'extra_specs': {'hw:watchdog_action': 'disabled'},
        'flavorid': flavor.flavorid, 'is_public': True,
        'memory_mb': flavor.memory_mb, 'name': flavor.name,
        'projects': None, 'root_gb': flavor.root_gb, 'rxtx_factor': 1.0,
        'swap': flavor.swap, 'vcpu_weight': 0, 'vcpus': flavor.vcpus})


def versioned_exception(error):
    message = error.message
    if error.remote_traceback:
        message = '%s\n%s' % (message, error.remote_traceback)
    return nova_object('ExceptionPayload', '1.1', {
        'exception': error.type,
        'exception_message': message,
        'function_name': error.function,
        'module_name': error.module,
        'traceback': 'Traceback (most recent call last):\n  File "%s", '
                     'line ..., in %s\n%s: %s\n' % (
                         error.module.replace('.', '/') + '.py',
                         error.function, error.type, error.message)})


# Extra fields of each versioned instance payload class, and its version.
PAYLOAD_VERSIONS = {
    'InstanceActionPayload': '1.9',
    'InstanceCreatePayload': '1.13',
    'InstanceUpdatePayload': '2.1',
    'InstanceExistsPayload': '2.1',
    'InstanceActionResizePrepPayload': '1.4',
    'InstanceActionSnapshotPayload': '1.10',
    'InstanceActionRebuildPayload': '1.10',
}


def versioned_instance(instance, request, name='InstanceActionPayload',
                       fault=None, **extra):
    """A versioned instance payload of class ``name``."""
    flavor = instance.flavor
    data = {
        'action_initiator_project': request.project_id,
        'action_initiator_user': request.user_id,
        'architecture': 'x86_64',
        'auto_disk_config': 'MANUAL',
        'availability_zone': 'nova' if instance.host else None,
        'block_devices': [] if instance.volume is None else [nova_object(
            'BlockDevicePayload', '1.0', {
                'boot_index': 0, 'delete_on_termination': True,
                'device_name': '/dev/vda', 'tag': None,
                'volume_id': instance.volume.id})],
        'created_at': isotime(instance.created_at),
        'deleted_at': isotime(instance.deleted_at),
        'display_description': instance.display_description,
        'display_name': instance.display_name,
        'flavor': versioned_flavor(flavor),
        'host': instance.host,
        'host_name': instance.hostname,
        'image_uuid': instance.image.id,
        'ip_addresses': [nova_object('IpPayload', '1.0', {
            'address': port.address, 'device_name': port.device_name,
            'label': 'private', 'mac': port.mac, 'meta': {},
            'port_uuid': port.id, 'version': 4})
            for port in instance.ports],
        'kernel_id': '',
        'key_name': instance.key_name,
        'launched_at': isotime(instance.launched_at),
        'locked': False,
        'locked_reason': None,
        'metadata': {'created_by': 'simulator', 'environment': 'prod'},
        'node': instance.node,
        'os_type': None,
        'power_state': POWER_NAMES.get(instance.power_state, 'pending'),
        'progress': instance.progress,
        'ramdisk_id': '',
        'request_id': request.request_id,
        'reservation_id': instance.reservation_id,
        'shares': [],
        'state': instance.vm_state,
        'task_state': instance.task_state,
        'tenant_id': instance.project.id,
        'terminated_at': isotime(instance.terminated_at),
        'updated_at': isotime(instance.updated_at),
        'user_id': instance.user_id,
        'uuid': instance.uuid,
    }
    if name not in ('InstanceUpdatePayload', 'InstanceExistsPayload'):
        data['fault'] = None if fault is None else versioned_exception(fault)
    if name == 'InstanceCreatePayload':
        data['instance_name'] = 'instance-%08x' % instance.id
        data['keypairs'] = [nova_object('KeypairPayload', '1.0', {
            'fingerprint': 'e3:1b:9c:4d:5e:6f:70:81:92:a3:b4:c5:d6:e7:f8:09',
            'name': instance.key_name, 'public_key': 'ssh-ed25519 AAAAC3Nz'
            'aC1lZDI1NTE5AAAAIK5lqD7hQw9m0 simulated', 'type': 'ssh',
            'user_id': instance.user_id})]
        data['tags'] = []
        data['trusted_image_certificates'] = None
    elif name == 'InstanceActionRebuildPayload':
        data['trusted_image_certificates'] = None
    data.update(extra)
    return nova_object(name, PAYLOAD_VERSIONS[name], dict(sorted(
        data.items())))


def versioned_update(instance, request, old_state, old_task_state,
                     audit_begin, now):
    return versioned_instance(
        instance, request, 'InstanceUpdatePayload',
        audit_period=nova_object('AuditPeriodPayload', '1.0', {
            'audit_period_beginning': isotime(audit_begin),
            'audit_period_ending': isotime(now)}),
        old_display_name=None,
        state_update=nova_object('InstanceStateUpdatePayload', '1.0', {
            'new_task_state': instance.task_state,
            'old_state': old_state,
            'old_task_state': old_task_state,
            'state': instance.vm_state}),
        tags=[])


def versioned_exists(instance, request, begin, end):
    return versioned_instance(
        instance, request, 'InstanceExistsPayload',
        audit_period=nova_object('AuditPeriodPayload', '1.0', {
            'audit_period_beginning': isotime(begin),
            'audit_period_ending': isotime(end)}))


def request_spec(instance, image):
    """A versioned RequestSpecPayload (scheduler and conductor events)."""
    return nova_object('RequestSpecPayload', '1.1', {
        'availability_zone': None,
        'flavor': versioned_flavor(instance.flavor),
        'force_hosts': None, 'force_nodes': None, 'ignore_hosts': None,
        'image': nova_object('ImageMetaPayload', '1.0', {
            'checksum': image.checksum,
            'container_format': image.container_format,
            'created_at': isotime(image.created_at), 'direct_url': None,
            'disk_format': image.disk_format, 'id': image.id,
            'min_disk': image.min_disk, 'min_ram': image.min_ram,
            'name': image.name, 'owner': image.owner,
            'properties': nova_object('ImageMetaPropsPayload', '1.19', {
                'hw_architecture': 'x86_64',
                'os_distro': image.os_distro}),
            'protected': False, 'size': image.size, 'status': image.status,
            'tags': [], 'updated_at': isotime(image.updated_at),
            'virtual_size': None, 'visibility': image.visibility}),
        'instance_group': None,
        'instance_uuid': instance.uuid,
        'num_instances': 1,
        'numa_topology': None,
        'pci_requests': nova_object('InstancePCIRequestsPayload', '1.0', {
            'instance_uuid': instance.uuid, 'requests': []}),
        'project_id': instance.project.id,
        'requested_destination': None,
        'retry': None,
        'scheduler_hints': {},
        'security_groups': ['default'],
        'user_id': instance.user_id,
    })


def legacy_request_spec(instance, image):
    """The legacy request_spec dict of ``scheduler.select_destinations``."""
    flavor = instance.flavor
    return {'request_spec': {
        'image': {'id': image.id, 'name': image.name,
                  'status': image.status, 'size': image.size,
                  'min_disk': image.min_disk, 'min_ram': image.min_ram,
                  'disk_format': image.disk_format,
                  'container_format': image.container_format,
                  'checksum': image.checksum, 'owner': image.owner,
                  'properties': {'os_distro': image.os_distro}},
        'instance_properties': {
            'uuid': instance.uuid, 'project_id': instance.project.id,
            'user_id': instance.user_id, 'vm_state': instance.vm_state,
            'task_state': instance.task_state, 'memory_mb':
                flavor.memory_mb, 'vcpus': flavor.vcpus,
            'root_gb': flavor.root_gb, 'ephemeral_gb': flavor.ephemeral_gb,
            'availability_zone': None, 'image_ref': image.id},
        'instance_type': {'id': flavor.id, 'name': flavor.name,
                          'flavorid': flavor.flavorid,
                          'memory_mb': flavor.memory_mb,
                          'vcpus': flavor.vcpus, 'root_gb': flavor.root_gb,
                          'ephemeral_gb': flavor.ephemeral_gb,
                          'swap': flavor.swap, 'rxtx_factor': 1.0,
                          'extra_specs': {}},
        'num_instances': 1,
        'instance_uuids': [instance.uuid],
    }}


def legacy_build_error(instance, image, error):
    """Legacy ``compute_task.build_instances`` (conductor) payload.

    The conductor puts the exception object itself in ``reason``; nova's
    serializer cannot encode it and writes the text of its dict form
    (kwargs, message, class), so ``reason`` is a string.
    """
    spec = legacy_request_spec(instance, image)['request_spec']
    flavor = instance.flavor
    properties = {
        'availability_zone': None, 'ephemeral_gb': flavor.ephemeral_gb,
        'memory_mb': flavor.memory_mb, 'numa_topology': None,
        'pci_requests': {'requests': []}, 'project_id': instance.project.id,
        'root_gb': flavor.root_gb, 'user_id': instance.user_id,
        'uuid': instance.uuid, 'vcpus': flavor.vcpus}
    reason = {'kwargs': dict(error.kwargs, code=error.code),
              'message': error.message, 'class': error.type}
    return {'instance_id': instance.uuid,
            'instance_properties': properties,
            'method': 'build_instances',
            'reason': repr(reason),
            'request_spec': {'image': spec['image'],
                             'instance_properties': properties,
                             'instance_type': spec['instance_type'],
                             'num_instances': 1},
            'state': 'error'}


# --- glance ---------------------------------------------------------------

def glance_image(image):
    """glance's v2 ``format_image_notification``."""
    return {
        'id': image.id, 'name': image.name, 'status': image.status,
        'created_at': isotime(image.created_at),
        'updated_at': isotime(image.updated_at),
        'min_disk': image.min_disk, 'min_ram': image.min_ram,
        'protected': False, 'checksum': image.checksum,
        'owner': image.owner, 'disk_format': image.disk_format,
        'container_format': image.container_format, 'size': image.size,
        'virtual_size': None, 'is_public': image.visibility == 'public',
        'visibility': image.visibility,
        'properties': ({'instance_uuid': image.instance_uuid,
                        'base_image_ref': image.base_image_ref,
                        'image_type': 'snapshot',
                        'os_distro': image.os_distro}
                       if image.instance_uuid else
                       {'os_distro': image.os_distro,
                        'os_version': image.os_version}),
        'tags': [], 'deleted': image.deleted_at is not None,
        'deleted_at': isotime(image.deleted_at), 'os_hidden': False,
        'os_hash_algo': 'sha512',
        'os_hash_value': None if image.checksum is None
        else image.checksum * 4,
    }


def glance_exists(image, begin, end):
    """``image.exists``: one image's audit record for a period."""
    return {
        'id': image.id, 'owner': image.owner, 'size': image.size,
        'status': 'deleted' if image.deleted_at else image.status,
        'created_at': isotime(image.created_at),
        'deleted_at': isotime(image.deleted_at),
        'disk_format': image.disk_format,
        'container_format': image.container_format,
        'visibility': image.visibility,
        'properties': {'image_type': 'snapshot' if image.instance_uuid
                       else 'image', 'instance_uuid': image.instance_uuid},
        'audit_period_beginning': str(begin),
        'audit_period_ending': str(end),
    }


# --- cinder ---------------------------------------------------------------

def cinder_volume(volume, begin=None, end=None):
    """cinder's ``_usage_from_volume``."""
    attachments = []
    if volume.instance_uuid:
        attachments.append({
            'id': volume.attachment_id, 'volume_id': volume.id,
            'instance_uuid': volume.instance_uuid,
            'attached_host': None, 'mountpoint': '/dev/vda',
            'attach_time': cinder_time(volume.attached_at),
            'attach_status': 'attached', 'attach_mode': 'rw',
            'detach_time': None, 'deleted': False})
    payload = {
        'tenant_id': volume.project.id, 'host': volume.host,
        'user_id': volume.user_id, 'availability_zone': 'nova',
        'volume_id': volume.id,
        'volume_type': model.VOLUME_TYPES[volume.backend],
        'display_name': volume.display_name,
        'launched_at': cinder_time(volume.launched_at) or '',
        'created_at': cinder_time(volume.created_at),
        'status': volume.status, 'snapshot_id': None, 'size': volume.size,
        'replication_status': None, 'replication_extended_status': None,
        'replication_driver_data': None, 'metadata': [],
        'volume_attachment': attachments,
        'glance_metadata': [{'key': 'image_id', 'value': volume.image_id}]
        if volume.image_id else [],
    }
    if begin is not None:
        payload['audit_period_beginning'] = str(begin)
        payload['audit_period_ending'] = str(end)
        payload['deleted_at'] = cinder_time(volume.deleted_at) or ''
    return payload


# --- neutron --------------------------------------------------------------

def neutron_port_request(port, instance):
    """``port.create.start``: the API request body (no id yet)."""
    return {'port': {'network_id': port.network_id,
                     'device_id': instance.uuid,
                     'device_owner': 'compute:nova',
                     'tenant_id': instance.project.id,
                     'project_id': instance.project.id,
                     'security_groups': [
                         instance.project.security_group_id]}}


def neutron_port(port, instance, host, status, updated_at):
    return {'port': {
        'id': port.id, 'name': '', 'network_id': port.network_id,
        'tenant_id': instance.project.id,
        'project_id': instance.project.id,
        'mac_address': port.mac, 'admin_state_up': True,
        'status': status, 'device_id': instance.uuid,
        'device_owner': 'compute:nova',
        'fixed_ips': [{'subnet_id': port.subnet_id,
                       'ip_address': port.address}],
        'allowed_address_pairs': [], 'extra_dhcp_opts': [],
        'security_groups': [instance.project.security_group_id],
        'description': '', 'binding:host_id': host or '',
        'binding:profile': {}, 'binding:vnic_type': 'normal',
        'binding:vif_type': 'ovs' if host else 'unbound',
        'binding:vif_details': {'port_filter': True,
                                'connectivity': 'l2',
                                'bridge_name': 'br-int'} if host else {},
        'port_security_enabled': True, 'dns_name': instance.hostname,
        'created_at': isotime(port.created_at),
        'updated_at': isotime(updated_at),
        'revision_number': 4 if host else 1, 'tags': [],
    }}
