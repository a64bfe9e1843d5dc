"""Event types as operations: the name, the phase and the family.

Legacy (``compute.instance.resize.prep.start``) and versioned
(``instance.resize_prep.start``) names of the same nova action give the
same operation, so nova's ``both`` format merges into one operation;
failures reported without a phase name the operation they ended.
"""

import functools

START = 'start'
END = 'end'
ERROR = 'error'

ERROR_PRIORITIES = frozenset(('ERROR', 'CRITICAL'))

# Legacy nova instance actions whose names differ from the versioned ones
# (after the dots inside the action became underscores).
_INSTANCE_ALIASES = {
    'finish_resize': 'resize_finish',
}

# The functions nova's ``wrap_exception`` names a legacy ERROR notification
# after, and the operation whose failure they report.
FUNCTION_OPERATIONS = {
    'build_and_run_instance': 'instance.create',
    'run_instance': 'instance.create',
    'terminate_instance': 'instance.delete',
    'soft_delete_instance': 'instance.soft_delete',
    'restore_instance': 'instance.restore',
    'rebuild_instance': 'instance.rebuild',
    'reboot_instance': 'instance.reboot',
    'rescue_instance': 'instance.rescue',
    'unrescue_instance': 'instance.unrescue',
    'snapshot_instance': 'instance.snapshot',
    'backup_instance': 'instance.snapshot',
    'stop_instance': 'instance.power_off',
    'start_instance': 'instance.power_on',
    'power_off_instance': 'instance.power_off',
    'power_on_instance': 'instance.power_on',
    'pause_instance': 'instance.pause',
    'unpause_instance': 'instance.unpause',
    'suspend_instance': 'instance.suspend',
    'resume_instance': 'instance.resume',
    'shelve_instance': 'instance.shelve',
    'shelve_offload_instance': 'instance.shelve_offload',
    'unshelve_instance': 'instance.unshelve',
    'prep_resize': 'instance.resize_prep',
    'resize_instance': 'instance.resize',
    'finish_resize': 'instance.resize_finish',
    'confirm_resize': 'instance.resize_confirm',
    'revert_resize': 'instance.resize_revert',
    'finish_revert_resize': 'instance.resize_revert',
    'attach_volume': 'instance.volume_attach',
    'detach_volume': 'instance.volume_detach',
    'swap_volume': 'instance.volume_swap',
    'attach_interface': 'instance.interface_attach',
    'detach_interface': 'instance.interface_detach',
    'live_migration': 'instance.live_migration',
    'pre_live_migration': 'instance.live_migration_pre',
    'post_live_migration_at_destination': 'instance.live_migration_post_dest',
    'rollback_live_migration_at_destination':
        'instance.live_migration_rollback_dest',
    'trigger_crash_dump': 'instance.trigger_crash_dump',
}

# Conductor tasks whose failure is the failure of an instance operation:
# nova's conductor reports "no valid host" for a boot or a rebuild as a
# ``compute_task.*`` failure, and nothing else of that request may name it.
CONDUCTOR_TASK_OPERATIONS = {
    'compute_task.build_instances': 'instance.create',
    'compute_task.rebuild_server': 'instance.rebuild',
}

# Operations that are steps of a larger one, and the name of that one.
FAMILIES = {
    'instance.resize_prep': 'instance.resize',
    'instance.resize': 'instance.resize',
    'instance.resize_finish': 'instance.resize',
    'instance.resize_confirm': 'instance.resize',
    'instance.resize_revert': 'instance.resize',
    'instance.live_migration_pre': 'instance.live_migration',
    'instance.live_migration_post': 'instance.live_migration',
    'instance.live_migration_post_dest': 'instance.live_migration',
    'instance.live_migration_rollback': 'instance.live_migration',
    'instance.live_migration_rollback_dest': 'instance.live_migration',
    'instance.live_migration_abort': 'instance.live_migration',
    'instance.live_migration_force_complete': 'instance.live_migration',
    'instance.rebuild_scheduled': 'instance.rebuild',
    'instance.rebuild': 'instance.rebuild',
}

# The steps that open a new multi-step operation of their family.
FAMILY_OPENERS = frozenset((
    'instance.resize_prep', 'instance.live_migration_pre',
    'instance.rebuild_scheduled'))

_INSTANCE_UPDATES = frozenset(('compute.instance.update', 'instance.update'))


def is_instance_update(event_type):
    return event_type in _INSTANCE_UPDATES


def _instance_action(parts):
    action = '_'.join(part.lstrip('_') for part in parts if part)
    return _INSTANCE_ALIASES.get(action, action)


# Event types are few: their parsing is cached.
@functools.lru_cache(maxsize=4096)
def operation_of(event_type):
    """(operation, phase) of an event type; phase is start/end/error/None.

    Legacy and versioned names of the same nova action give the same
    operation (``compute.instance.resize.prep.start`` and
    ``instance.resize_prep.start`` are both ``instance.resize_prep``), so
    nova's ``both`` format merges into one operation.
    """
    parts = event_type.split('.')
    phase = None
    last = parts[-1]
    if len(parts) > 1 and last in (START, END, ERROR):
        phase = last
        parts = parts[:-1]
    if parts[0] == 'compute' and len(parts) > 2 and parts[1] == 'instance':
        # compute.instance.X, and nova's old compute.instance.instance.X.
        rest = parts[2:]
        if rest[0] == 'instance' and len(rest) > 1:
            rest = rest[1:]
        return 'instance.' + _instance_action(rest), phase
    if parts[0] == 'instance' and len(parts) > 1:
        return 'instance.' + _instance_action(parts[1:]), phase
    return '.'.join(parts), phase


def error_operation(event_type, payload):
    """The operation a failure notification without a phase reports.

    A legacy ``wrap_exception`` notification is named after the failing
    function (``snapshot_instance``); a versioned ``compute.exception``
    carries the function's name in its payload.
    """
    name = event_type
    if event_type == 'compute.exception':
        data = payload.get('nova_object.data')
        if isinstance(data, dict):
            name = data.get('function_name') or event_type
            if not isinstance(name, str):
                # A list or a dict there is no function name (and, being
                # unhashable, failed the lookup and the whole batch).
                name = event_type
    found = FUNCTION_OPERATIONS.get(name)
    if found is not None:
        return found
    return operation_of(event_type)[0]


def is_error(row):
    """Whether a notification row reports a failure."""
    return (row['priority'] in ERROR_PRIORITIES
            or row['event_type'].endswith('.error'))


def family_of(operation):
    return FAMILIES.get(operation, operation)

