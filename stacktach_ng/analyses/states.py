"""Instance task states and resource statuses, and what they tell."""

# Instance task states and the service an instance stuck in them waits on
# (``waiting_on``). The services are named after their binaries, as the
# notifications name them; "hypervisor" is the virt driver of the
# instance's compute host.
TASK_STATE_SERVICES = {
    'scheduling': 'nova-scheduler',
    'networking': 'neutron',
    'block_device_mapping': 'cinder',
    'spawning': 'hypervisor',
    'image_snapshot': 'hypervisor',
    'image_snapshot_pending': 'hypervisor',
    'image_pending_upload': 'glance',
    'image_uploading': 'glance',
    'deleting': 'nova-compute',
    'resize_prep': 'nova-scheduler',
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

# Open operations whose service waits on another one, and what is known
# of it: (service waited on, what the operation does). nova-compute's
# shutdown of an instance asks neutron for the instance's ports when it
# has none cached, destroys the guest, then releases the ports: a delete
# that neutron does not answer stays in it (seen on a real nova 34), and
# the guest's destruction is instant next to it.
_OPEN_OPERATION_WAITS = {
    'instance.shutdown': (
        'neutron', 'nova-compute%s is shutting the instance down: it asks '
        'neutron for the ports, destroys the guest (hypervisor), then '
        'releases the ports (neutron)'),
    'instance.delete': (
        'nova-compute', 'nova-compute%s is deleting the instance: the guest '
        '(hypervisor), its ports (neutron) and volumes (cinder)'),
}

# After the scheduler chose a host, nova-conductor casts the build to that
# host's nova-compute; the instance stays in "scheduling" until it starts.
_SCHEDULED_DETAIL = ('a nova-compute to start the build: the scheduler '
                     'chose a host and nothing has started since')


def waiting_on(task_state, operation=None, host=None, scheduled=False):
    """What a resource stuck in a task state waits on, as far as the
    notifications tell: ``{"service", "host", "detail"}``, or None.

    :param operation: the name of the resource's open operation, if any.
    :param host: the compute host of the instance (or of the operation).
    :param scheduled: the request that set the task state has a
        scheduling that ended (the scheduler is done).
    """
    if task_state == 'scheduling' and scheduled:
        # No notification names the chosen host before its nova-compute
        # starts the build (nova's server shows none either).
        return {'service': 'nova-compute', 'host': None,
                'detail': _SCHEDULED_DETAIL}
    waits = _OPEN_OPERATION_WAITS.get(operation)
    if waits is not None:
        service, detail = waits
        return {'service': service,
                'host': host if service == 'nova-compute' else None,
                'detail': detail % (' on %s' % host if host else '')}
    service = TASK_STATE_SERVICES.get(task_state)
    if service is None:
        return None
    return {'service': service,
            'host': host if service in ('hypervisor', 'nova-compute')
            else None,
            'detail': None}


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
