"""Event types as operations: the name, the phase and the family.

Legacy (``compute.instance.resize.prep.start``) and versioned
(``instance.resize_prep.start``) names of the same nova action give the
same operation, so nova's ``both`` format merges into one operation;
failures reported without a phase name the operation they ended.
"""

import functools

from stacktach_ng.pipeline import definitions

START = 'start'
END = 'end'
ERROR = 'error'

ERROR_PRIORITIES = frozenset(('ERROR', 'CRITICAL'))

# Nova's tables (the legacy names of instance actions, the functions
# wrap_exception names its failures after, the conductor tasks that end
# an instance operation, the families of multi-step operations) are data:
# the ``operations`` of the resource definitions.


def _tables():
    tables = _cached.get('tables')
    if tables is None:
        raw = definitions.active().operations
        tables = _cached['tables'] = {
            'instance_aliases': dict(raw.get('instance_aliases') or {}),
            'functions': dict(raw.get('functions') or {}),
            'conductor_tasks': dict(raw.get('conductor_tasks') or {}),
            'families': dict(raw.get('families') or {}),
            'family_openers': frozenset(raw.get('family_openers') or ()),
        }
    return tables


_cached = {}


def _forget():
    _cached.clear()
    operation_of.cache_clear()


def conductor_task_operation(operation):
    """The instance operation a failed conductor task ends, or None."""
    return _tables()['conductor_tasks'].get(operation)


def is_family_opener(operation):
    """Whether a step opens a new multi-step operation of its family."""
    return operation in _tables()['family_openers']


_INSTANCE_UPDATES = frozenset(('compute.instance.update', 'instance.update'))


def is_instance_update(event_type):
    return event_type in _INSTANCE_UPDATES


def _instance_action(parts):
    action = '_'.join(part.lstrip('_') for part in parts if part)
    return _tables()['instance_aliases'].get(action, action)


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
    if len(parts) > 1:
        phase = _suffixes(event_type).get(last)
        if phase is not None:
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


_DEFAULT_SUFFIXES = {START: START, END: END, ERROR: ERROR}


def _suffixes(event_type):
    """The event type suffixes of a phase, as its definition says."""
    for definition in definitions.active().candidates(event_type):
        if not definition.payload_has:
            return definition.suffixes
    return _DEFAULT_SUFFIXES


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
    found = _tables()['functions'].get(name)
    if found is not None:
        return found
    return operation_of(event_type)[0]


def is_error(row):
    """Whether a notification row reports a failure."""
    return (row['priority'] in ERROR_PRIORITIES
            or row['event_type'].endswith('.error'))


def family_of(operation):
    return _tables()['families'].get(operation, operation)


definitions.on_install(_forget)

