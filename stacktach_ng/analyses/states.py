"""Instance task states and resource statuses, and what they tell."""

# Instance task states and the service an instance stuck in them waits on.
TASK_STATE_SERVICES = {
    'scheduling': 'scheduler',
    'networking': 'neutron',
    'block_device_mapping': 'cinder',
    'spawning': 'hypervisor',
    'image_snapshot': 'hypervisor',
    'image_snapshot_pending': 'hypervisor',
    'image_pending_upload': 'glance',
    'image_uploading': 'glance',
    'deleting': 'hypervisor',
    'resize_prep': 'scheduler',
    'resize_migrating': 'hypervisor',
    'resize_migrated': 'hypervisor',
    'resize_finish': 'hypervisor',
    'rebuilding': 'hypervisor',
    'rebuild_block_device_mapping': 'cinder',
    'rebuild_spawning': 'hypervisor',
    'migrating': 'hypervisor',
    'powering-off': 'hypervisor',
    'powering-on': 'hypervisor',
    'rebooting': 'hypervisor',
    'rebooting_hard': 'hypervisor',
}

# Resource types whose payload carries a ``status`` (glance, cinder).
STATUS_TYPES = frozenset(('image', 'volume', 'snapshot', 'backup'))


def status_of(row, payload):
    """The status an image/volume notification reports, or None."""
    if row['resource_type'] not in STATUS_TYPES:
        return None
    status = payload.get('status')
    if isinstance(status, str) and status:
        return status[:64]
    return None


def reports_task(row):
    """Whether a notification reports a task state for the timeline: a
    task state, or a vm state without one (an instance with no task)."""
    return row['task_state'] is not None or row['vm_state'] is not None


def waiting_on(task_state, host):
    """The service a resource in a task state waits on: ``{"service",
    "host"}`` (the hypervisor of the compute host for spawning ...)."""
    service = TASK_STATE_SERVICES.get(task_state)
    if service is None:
        return None
    return {'service': service,
            'host': host if service == 'hypervisor' else None}
