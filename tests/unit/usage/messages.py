"""Notification builders for the usage tests: legacy wire v1 bodies and
versioned nova sample-form bodies, as nova, glance and cinder send them."""

import datetime
import uuid

FLAVORS = {
    'm1.small': ('2', 'm1.small', 1, 2048, 20, 0),
    'm1.medium': ('3', 'm1.medium', 2, 4096, 40, 0),
    'm1.large': ('4', 'm1.large', 4, 8192, 80, 10),
}


def text(moment, micro=False):
    """A payload time as legacy nova writes it."""
    if moment is None:
        return ''
    if not micro:
        moment = moment.replace(microsecond=0)
    return moment.strftime('%Y-%m-%d %H:%M:%S.%f')


def _flavor_fields(flavor):
    flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb = FLAVORS[flavor]
    return {
        'instance_flavor_id': flavorid, 'instance_type': name,
        'instance_type_id': int(flavorid) + 10, 'vcpus': vcpus,
        'memory_mb': memory_mb, 'root_gb': root_gb,
        'ephemeral_gb': ephemeral_gb, 'disk_gb': root_gb + ephemeral_gb,
    }


def legacy(event_type, instance, project, at, launched_at=None,
           flavor='m1.small', image='img-1', deleted_at=None,
           message_id=None, micro=False, **extra):
    """A legacy ``compute.instance.*`` wire v1 body."""
    payload = {
        'instance_id': instance, 'tenant_id': project, 'user_id': 'user-1',
        'launched_at': text(launched_at, micro), 'deleted_at':
        text(deleted_at), 'terminated_at': text(deleted_at),
        'image_ref_url': 'http://glance:9292/images/%s' % image,
        'state': 'active', 'state_description': '',
    }
    payload.update(_flavor_fields(flavor))
    payload.update(extra)
    return {
        'message_id': message_id or str(uuid.uuid4()),
        'event_type': event_type,
        'publisher_id': 'compute.host1',
        'priority': 'INFO',
        'timestamp': at.strftime('%Y-%m-%d %H:%M:%S.%f'),
        '_context_request_id': 'req-' + str(uuid.uuid4()),
        '_context_project_id': project,
        'payload': payload,
    }


def legacy_exists(instance, project, at, launched_at, beginning, ending,
                  flavor='m1.small', image='img-1', deleted_at=None,
                  message_id=None):
    return legacy('compute.instance.exists', instance, project, at,
                  launched_at=launched_at, flavor=flavor, image=image,
                  deleted_at=deleted_at, message_id=message_id,
                  audit_period_beginning=text(beginning),
                  audit_period_ending=text(ending),
                  bandwidth={})


def _object(name, data, version='1.0'):
    return {'nova_object.name': name, 'nova_object.namespace': 'nova',
            'nova_object.version': version, 'nova_object.data': data}


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def versioned(event_type, instance, project, at, launched_at=None,
              flavor='m1.small', image='img-1', deleted_at=None,
              audit_period=None, message_id=None):
    """A versioned ``instance.*`` body in nova's sample form plus ids."""
    flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb = FLAVORS[flavor]
    data = {
        'uuid': instance, 'tenant_id': project, 'user_id': 'user-1',
        'launched_at': _iso(launched_at), 'deleted_at': _iso(deleted_at),
        'terminated_at': _iso(deleted_at), 'image_uuid': image,
        'state': 'active', 'task_state': None, 'power_state': 'running',
        'flavor': _object('FlavorPayload', {
            'flavorid': flavorid, 'name': name, 'vcpus': vcpus,
            'memory_mb': memory_mb, 'root_gb': root_gb,
            'ephemeral_gb': ephemeral_gb}, '1.4'),
    }
    payload_name = 'InstanceActionPayload'
    if audit_period is not None:
        payload_name = 'InstanceExistsPayload'
        data['audit_period'] = _object('AuditPeriodPayload', {
            'audit_period_beginning': _iso(audit_period[0]),
            'audit_period_ending': _iso(audit_period[1])})
        data['bandwidth'] = []
    return {
        'message_id': message_id or str(uuid.uuid4()),
        'event_type': event_type,
        'publisher_id': 'nova-compute:host1',
        'priority': 'INFO',
        'timestamp': at.strftime('%Y-%m-%d %H:%M:%S.%f'),
        'payload': _object(payload_name, data),
    }


def volume(event_type, volume_id, project, at, size, created_at,
           audit_period=None, deleted_at=None, message_id=None):
    payload = {'volume_id': volume_id, 'tenant_id': project, 'size': size,
               'volume_type': 'lvm', 'created_at': text(created_at),
               'status': 'available'}
    if deleted_at is not None:
        payload['deleted_at'] = text(deleted_at)
    if audit_period is not None:
        payload['audit_period_beginning'] = text(audit_period[0])
        payload['audit_period_ending'] = text(audit_period[1])
    return {'message_id': message_id or str(uuid.uuid4()),
            'event_type': event_type, 'publisher_id': 'volume.host1@lvm',
            'priority': 'INFO',
            'timestamp': at.strftime('%Y-%m-%d %H:%M:%S.%f'),
            'payload': payload}


def image(event_type, image_id, owner, at, size, created_at,
          deleted_at=None, message_id=None):
    payload = {'id': image_id, 'owner': owner, 'size': size,
               'created_at': created_at.strftime('%Y-%m-%dT%H:%M:%S.%f'),
               'deleted_at': (deleted_at.strftime('%Y-%m-%dT%H:%M:%S')
                              if deleted_at else None),
               'status': 'active'}
    return {'message_id': message_id or str(uuid.uuid4()),
            'event_type': event_type, 'publisher_id': 'image.localhost',
            'priority': 'INFO',
            'timestamp': at.strftime('%Y-%m-%d %H:%M:%S.%f'),
            'payload': payload}


def day(n, hour=0, minute=0, second=0, micro=0):
    """A fixed moment: 2026-03-<n> hour:minute:second.micro UTC."""
    return datetime.datetime(2026, 3, n, hour, minute, second, micro)
