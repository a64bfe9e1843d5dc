"""The usage facts of a notification, from legacy and versioned payloads.

``classify(event_type)`` says what a notification means for usage (a
launch, a delete, an exists, a size, an observation or nothing); the
``*_row`` functions build the rows of ``stacktach_ng.db.models.usage``
from a normalized record. Values that cannot be read become None: a
malformed payload never fails the batch, it is tracked with what it has.
"""

import datetime

from stacktach_ng.common import timestamps

GIB = 1024 ** 3

# What an instance event means for usage: event type -> launch kind.
# Legacy and versioned names of the operations that (re)start billing.
LAUNCH_EVENTS = {
    'compute.instance.create.end': 'create',
    'instance.create.end': 'create',
    'compute.instance.rebuild.end': 'rebuild',
    'instance.rebuild.end': 'rebuild',
    'compute.instance.finish_resize.end': 'resize',
    'instance.resize_finish.end': 'resize',
    'compute.instance.resize.revert.end': 'revert',
    'instance.resize_revert.end': 'revert',
    'compute.instance.rescue.end': 'rescue',
    'instance.rescue.end': 'rescue',
    'compute.instance.unrescue.end': 'unrescue',
    'instance.unrescue.end': 'unrescue',
}

INSTANCE_DELETE_EVENTS = frozenset((
    'compute.instance.delete.end', 'instance.delete.end'))

EXISTS_EVENTS = {
    'compute.instance.exists': 'instance',
    'instance.exists': 'instance',
    'image.exists': 'image',
    'volume.exists': 'volume',
}

# The versioned twin of an audit record nova also sends in the legacy
# format (``notification_format = both``): the legacy copy is kept.
VERSIONED_EXISTS_EVENTS = frozenset(('instance.exists',))

STORAGE_EVENTS = {
    'image.upload': ('image', 'upload'),
    'volume.create.end': ('volume', 'create'),
    'volume.resize.end': ('volume', 'resize'),
}

STORAGE_DELETE_EVENTS = {
    'image.delete': 'image',
    'volume.delete.end': 'volume',
}

_INSTANCE_PREFIXES = ('compute.instance.', 'instance.')
_IMAGE_PREFIX = 'image.'
# glance's image.member.* tell of a membership (an image shared with a
# project), not of the image: their created_at is when it was shared.
_IMAGE_MEMBER_PREFIX = 'image.member.'

LAUNCH = 'launch'
OBSERVED = 'observed'
DELETE = 'delete'
EXISTS = 'exists'
STORAGE = 'storage'
STORAGE_DELETE = 'storage_delete'
IMAGE_OBSERVED = 'image_observed'

EVIDENCE_EVENT = 0
EVIDENCE_OBSERVED = 1
# The launch an exists itself reports: it bills an instance that sent
# nothing else (one launched before tracking began, idle since), but it
# never verifies an exists.
EVIDENCE_EXISTS = 2
EXISTS_KIND = 'exists'

# The same three levels for images and volumes, told by the ``kind`` of a
# ``usage_storage`` row: an event (upload, create, resize), an image seen
# in another glance notification, an image an exists reports. Unlike an
# instance's, an image's exists does verify its exists when nothing else
# is known: glance says nothing of an image between its upload and its
# deletion, so for the images uploaded before tracking began the exists
# is all there will ever be.
STORAGE_EVIDENCE = {OBSERVED: EVIDENCE_OBSERVED, EXISTS_KIND: EVIDENCE_EXISTS}


def storage_evidence(kind):
    """The evidence level of a ``usage_storage`` row's kind."""
    return STORAGE_EVIDENCE.get(kind, EVIDENCE_EVENT)


def exists_format(event_type):
    """0 for a legacy exists, 1 for a versioned one (as
    ``stacktach_ng.analyses.merge.format_of``)."""
    return 1 if event_type in VERSIONED_EXISTS_EVENTS else 0


def classify(event_type):
    """What the notification means for usage, or None."""
    if event_type in LAUNCH_EVENTS:
        return LAUNCH
    if event_type in EXISTS_EVENTS:
        return EXISTS
    if event_type in INSTANCE_DELETE_EVENTS:
        return DELETE
    if event_type in STORAGE_EVENTS:
        return STORAGE
    if event_type in STORAGE_DELETE_EVENTS:
        return STORAGE_DELETE
    if event_type.startswith(_INSTANCE_PREFIXES) and '.exists.' not in (
            event_type + '.'):
        # Any other instance notification still tells the instance's
        # current launched_at and flavor: a launch that happened before
        # tracking began, or whose own notification was lost.
        return OBSERVED
    if event_type.startswith(_IMAGE_PREFIX) and not event_type.startswith(
            _IMAGE_MEMBER_PREFIX):
        # Likewise any other glance notification about an image tells its
        # creation time (and its size once uploaded).
        return IMAGE_OBSERVED
    return None


def to_second(moment):
    """A datetime without its microseconds (exists carry whole seconds)."""
    if moment is None:
        return None
    return moment.replace(microsecond=0)


def _time(value):
    if isinstance(value, datetime.datetime):
        return value
    if value is not None and not isinstance(value, str):
        return None
    return timestamps.parse(value)


def _text(value, limit=64):
    if value is None or value == '' or isinstance(value, (dict, list)):
        return None
    return str(value)[:limit]


# The largest values the usage columns hold: INTEGER for the flavor's
# sizes, BIGINT for sizes in bytes.
_INT_MAX = 2 ** 31 - 1
_BIGINT_MAX = 2 ** 63 - 1


def _int(value, limit=_INT_MAX):
    """An integer column's value, or None. A value the column cannot
    hold (a flavor of 2**70 vcpus) is unreadable like any other: stored,
    it failed the whole batch (SQLite OverflowError, PostgreSQL and MySQL
    "out of range")."""
    if value is None or value == '' or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, int) else int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    if not -limit - 1 <= number <= limit:
        return None
    return number


def _object(value):
    """The data of a nested versioned object, or the value itself."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith('_object.data') and isinstance(item, dict):
                return item
    return value


def _data(record):
    data, object_name, _version = record.versioned_data()
    return data, object_name is not None


def _image_from_url(url):
    if not isinstance(url, str) or not url:
        return None
    return url.rstrip('/').rsplit('/', 1)[-1] or None


def _instance_facts(record):
    """The usage columns an instance payload carries (legacy or
    versioned)."""
    data, versioned = _data(record)
    if versioned:
        flavor = _object(data.get('flavor'))
        if not isinstance(flavor, dict):
            flavor = {}
        facts = {
            'flavor_id': _text(flavor.get('flavorid')),
            'flavor_name': _text(flavor.get('name'), 255),
            'instance_type_id': None,
            'vcpus': _int(flavor.get('vcpus')),
            'memory_mb': _int(flavor.get('memory_mb')),
            'root_gb': _int(flavor.get('root_gb')),
            'ephemeral_gb': _int(flavor.get('ephemeral_gb')),
            'image_id': _text(data.get('image_uuid')),
        }
        period = _object(data.get('audit_period'))
        if not isinstance(period, dict):
            period = {}
    else:
        image_meta = data.get('image_meta')
        image = None
        if isinstance(image_meta, dict):
            image = image_meta.get('base_image_ref')
        facts = {
            'flavor_id': _text(data.get('instance_flavor_id')),
            'flavor_name': _text(data.get('instance_type'), 255),
            'instance_type_id': _text(data.get('instance_type_id')),
            'vcpus': _int(data.get('vcpus')),
            'memory_mb': _int(data.get('memory_mb')),
            'root_gb': _int(data.get('root_gb')),
            'ephemeral_gb': _int(data.get('ephemeral_gb')),
            # image_ref_url names the instance's image_ref, the same
            # image the versioned image_uuid names (base_image_ref is the
            # base of a snapshot).
            'image_id': _text(_image_from_url(data.get('image_ref_url')))
            or _text(image),
        }
        period = data
    facts['instance_id'] = _text(record.row.get('resource_id'))
    facts['project_id'] = _text(data.get('tenant_id')) or record.row.get(
        'project_id')
    facts['user_id'] = _text(data.get('user_id')) or record.row.get(
        'user_id')
    facts['launched_at'] = _time(data.get('launched_at'))
    facts['deleted_at'] = _time(data.get('deleted_at'))
    facts['terminated_at'] = _time(data.get('terminated_at'))
    facts['audit_period_beginning'] = _time(
        period.get('audit_period_beginning'))
    facts['audit_period_ending'] = _time(period.get('audit_period_ending'))
    facts['message'] = data.get('message')
    return facts


_EVIDENCE = {OBSERVED: EVIDENCE_OBSERVED, EXISTS_KIND: EVIDENCE_EXISTS}


def observation_key(record):
    """What makes two observations of an instance the same launch: the
    instance and its ``launched_at`` as written (or None when the record
    observes no launch). Of the observations sharing a key only the
    earliest can become the stored row (see ``usage.store``), so a batch
    builds the row of that one alone: most notifications are updates of
    an instance that repeat the same launch."""
    instance_id = record.row.get('resource_id')
    if instance_id is None:
        return None
    data = record.versioned_data()[0]
    launched_at = data.get('launched_at') if type(data) is dict else None
    if launched_at is None or launched_at == '':
        return None
    if type(launched_at) is not str:
        launched_at = repr(launched_at)
    return instance_id, launched_at

_LAUNCH_COLUMNS = ('project_id', 'user_id', 'flavor_id', 'flavor_name',
                   'instance_type_id', 'vcpus', 'memory_mb', 'root_gb',
                   'ephemeral_gb', 'image_id')


def launch_row(record, kind):
    """The ``usage_launches`` row of an instance notification, or None.

    ``kind`` is a ``LAUNCH_EVENTS`` value, ``OBSERVED`` for the launch
    another instance notification reports, or ``EXISTS_KIND`` for the
    launch an exists reports.
    """
    facts = _instance_facts(record)
    launched_at = to_second(facts['launched_at'])
    if facts['instance_id'] is None or launched_at is None:
        return None
    if kind == 'create' and facts['message'] not in (None, '', 'Success'):
        # A legacy create.end that reports a failure launched nothing.
        return None
    generated_at = record.row['generated_at']
    if kind == 'revert':
        # A revert brings the old flavor back now; the instance may keep
        # the launched_at of the resize it reverts.
        effective_at = max(launched_at, to_second(generated_at))
    else:
        effective_at = launched_at
    row = {column: facts[column] for column in _LAUNCH_COLUMNS}
    row.update({
        'instance_id': facts['instance_id'],
        'launched_at': launched_at,
        'effective_at': effective_at,
        'kind': kind,
        'evidence': _EVIDENCE.get(kind, EVIDENCE_EVENT),
        'message_id': record.row['message_id'],
        'generated_at': generated_at,
    })
    return row


def instance_delete_row(record):
    """The ``usage_deletes`` row of an instance delete.end, or None."""
    facts = _instance_facts(record)
    if facts['instance_id'] is None:
        return None
    deleted_at = (facts['deleted_at'] or facts['terminated_at']
                  or record.row['generated_at'])
    return {
        'resource_type': 'instance',
        'resource_id': facts['instance_id'],
        'project_id': facts['project_id'],
        'launched_at': to_second(facts['launched_at']),
        'deleted_at': deleted_at,
        'terminated_at': facts['terminated_at'],
        'message_id': record.row['message_id'],
        'generated_at': record.row['generated_at'],
    }


def _exists_base(record, resource_type):
    return {
        'message_id': record.row['message_id'],
        'event_type': record.row['event_type'],
        'resource_type': resource_type,
        'generated_at': record.row['generated_at'],
        'received_at': record.row['received_at'],
        'status': 'pending',
        'attempts': 0,
    }


_EXISTS_NONE = ('project_id', 'user_id', 'launched_at', 'deleted_at',
                'audit_period_beginning', 'audit_period_ending',
                'flavor_id', 'flavor_name', 'instance_type_id', 'vcpus',
                'memory_mb', 'root_gb', 'ephemeral_gb', 'image_id',
                'size_bytes', 'volume_type')


def exists_rows(record):
    """The ``usage_exists`` rows of an exists notification (several for a
    glance exists listing many images)."""
    resource_type = EXISTS_EVENTS[record.row['event_type']]
    if resource_type == 'instance':
        facts = _instance_facts(record)
        if facts['instance_id'] is None:
            return []
        row = _exists_base(record, 'instance')
        row.update({column: facts.get(column) for column in _EXISTS_NONE})
        row['resource_id'] = facts['instance_id']
        row['launched_at'] = to_second(facts['launched_at'])
        row['deleted_at'] = to_second(facts['deleted_at']
                                      or facts['terminated_at'])
        # To the second, like every time of an exists: the two copies of
        # the exists nova sends before a resize end at the same moment,
        # with microseconds in the legacy one only (the versioned
        # DateTimeField drops them), and they are one audit record.
        for name in ('audit_period_beginning', 'audit_period_ending'):
            row[name] = to_second(row[name])
        return [row]
    data, _versioned = _data(record)
    if resource_type == 'image':
        items = data.get('images')
        if not isinstance(items, list):
            items = [data]
        rows = []
        for item in items:
            if not isinstance(item, dict):
                continue
            row = _storage_exists_row(record, 'image', item, data)
            if row is not None:
                rows.append(row)
        return rows
    row = _storage_exists_row(record, 'volume', data, data)
    return [row] if row is not None else []


def _storage_exists_row(record, resource_type, item, outer):
    facts = storage_facts(resource_type, item, record)
    if facts['resource_id'] is None:
        return None
    row = _exists_base(record, resource_type)
    row.update({column: None for column in _EXISTS_NONE})
    row.update({
        'resource_id': facts['resource_id'],
        'project_id': facts['project_id'] or _text(
            outer.get('owner') or outer.get('tenant_id')),
        'launched_at': to_second(facts['created_at']),
        'deleted_at': to_second(_time(item.get('deleted_at'))),
        'audit_period_beginning': _time(
            item.get('audit_period_beginning')
            or outer.get('audit_period_beginning')),
        'audit_period_ending': _time(
            item.get('audit_period_ending')
            or outer.get('audit_period_ending')),
        'size_bytes': facts['size_bytes'],
        'volume_type': facts['volume_type'],
    })
    return row


def storage_facts(resource_type, data, record):
    """Id, project, size in bytes, type and creation time of an image or
    a volume payload (glance sizes are bytes, cinder sizes GiB)."""
    if resource_type == 'image':
        resource_id = _text(data.get('id') or data.get('image_id'))
        project_id = _text(data.get('owner'))
        size = _int(data.get('size'), _BIGINT_MAX)
        volume_type = None
    else:
        resource_id = _text(data.get('volume_id') or data.get('id'))
        project_id = _text(data.get('tenant_id') or data.get('project_id'))
        # In GiB: the size in bytes must fit the column too.
        size = _int(data.get('size'), _BIGINT_MAX // GIB)
        if size is not None:
            size *= GIB
        volume_type = _text(data.get('volume_type'), 255)
    return {
        'resource_id': resource_id,
        'project_id': project_id or record.row.get('project_id'),
        'size_bytes': size,
        'volume_type': volume_type,
        'created_at': _time(data.get('created_at')),
    }


def storage_row(record):
    """The ``usage_storage`` row of an upload, create or resize, or None."""
    resource_type, kind = STORAGE_EVENTS[record.row['event_type']]
    data, _versioned = _data(record)
    facts = storage_facts(resource_type, data, record)
    if facts['resource_id'] is None:
        return None
    generated_at = record.row['generated_at']
    if kind == 'resize':
        started_at = generated_at
    else:
        started_at = facts['created_at'] or generated_at
    return {
        'resource_type': resource_type,
        'resource_id': facts['resource_id'],
        'started_at': started_at,
        'created_at': facts['created_at'],
        'kind': kind,
        'project_id': facts['project_id'],
        'size_bytes': facts['size_bytes'],
        'volume_type': facts['volume_type'],
        'message_id': record.row['message_id'],
        'generated_at': generated_at,
    }


def image_observation_rows(record):
    """The ``usage_storage`` rows of the images a glance notification
    shows (several for an exists listing many), each starting at the
    image's creation time; none for an image whose creation time is
    unknown. An exists reports its images with kind ``EXISTS_KIND``,
    the other notifications with ``OBSERVED``."""
    data, _versioned = _data(record)
    if not isinstance(data, dict):
        return []
    kind = OBSERVED
    items = [data]
    if record.row['event_type'] in EXISTS_EVENTS:
        kind = EXISTS_KIND
        listed = data.get('images')
        if isinstance(listed, list):
            items = [item for item in listed if isinstance(item, dict)]
    rows = []
    for item in items:
        facts = storage_facts('image', item, record)
        created_at = facts['created_at']
        if facts['resource_id'] is None or created_at is None:
            continue
        if facts['project_id'] is None:
            facts['project_id'] = _text(data.get('owner'))
        rows.append({
            'resource_type': 'image',
            'resource_id': facts['resource_id'],
            'started_at': created_at,
            'created_at': created_at,
            'kind': kind,
            'project_id': facts['project_id'],
            'size_bytes': facts['size_bytes'],
            'volume_type': None,
            'message_id': record.row['message_id'],
            'generated_at': record.row['generated_at'],
        })
    return rows


def storage_delete_row(record):
    """The ``usage_deletes`` row of an image or volume deletion, or None."""
    resource_type = STORAGE_DELETE_EVENTS[record.row['event_type']]
    data, _versioned = _data(record)
    facts = storage_facts(resource_type, data, record)
    if facts['resource_id'] is None:
        return None
    return {
        'resource_type': resource_type,
        'resource_id': facts['resource_id'],
        'project_id': facts['project_id'],
        'launched_at': to_second(facts['created_at']),
        'deleted_at': (_time(data.get('deleted_at'))
                       or record.row['generated_at']),
        'terminated_at': None,
        'message_id': record.row['message_id'],
        'generated_at': record.row['generated_at'],
    }


_HOUR = datetime.timedelta(hours=1)
_DAY = datetime.timedelta(days=1)


def _month_after(moment):
    if moment.month == 12:
        return moment.replace(year=moment.year + 1, month=1)
    return moment.replace(month=moment.month + 1)


def is_regular_period(beginning, ending):
    """Whether an audit period is one of nova's periodic ones.

    Nova's ``instance_usage_audit_period`` is an hour, a day (both with an
    optional offset), a calendar month or a year. The exists nova sends
    before a resize or a rebuild end at that moment instead, and are not
    regular periods.
    """
    if beginning is None or ending is None or ending <= beginning:
        return False
    beginning = to_second(beginning)
    ending = to_second(ending)
    length = ending - beginning
    if length in (_HOUR, _DAY):
        return True
    at_midnight = (beginning.hour == beginning.minute == beginning.second
                   == 0)
    if not at_midnight or beginning.day != 1:
        return False
    if ending == _month_after(beginning):
        return True
    return beginning.month == 1 and ending == beginning.replace(
        year=beginning.year + 1)
