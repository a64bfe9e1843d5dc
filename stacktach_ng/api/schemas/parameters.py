"""Query parameters of the endpoints, as OpenAPI parameter objects.

Each endpoint accepts exactly the parameters listed for it; anything else
is a 400 naming the parameter. ``schema`` is the JSON schema of the value
once read from the query string (``integer`` and ``boolean`` values are
converted first; ``format: date-time`` values are ISO 8601 times).

Three extensions carry the rest of the contract (see the API reference,
"Conventions"), read by ``stacktach_ng.api.validation``:

``x-duration``
    The value is a duration: ``600`` (seconds), ``10m``, ``1h``, ``2d``;
    it is read as a whole number of seconds.
``x-comma-list``
    The value is a comma-separated list of these accepted items.
``x-requires``
    The parameter only applies together with these values of other
    parameters (``{"stuck": true}``): given without them, a 400 says which.
``x-excludes``
    The parameter does not apply together with these values of other
    parameters: given with them, a 400 says which.
"""

from stacktach_ng.queries import notifications as notification_queries

# Strings are bounded and printable: the widest indexed column holds 255
# characters, and a NUL byte is refused by PostgreSQL.
CONTROL_CHARACTERS = '^[^\\x00-\\x1f]+$'
_TEXT = {'type': 'string', 'minLength': 1, 'maxLength': 255,
         'pattern': CONTROL_CHARACTERS}

# The priorities oslo.messaging notifies with, as stored (upper case).
PRIORITIES = ('AUDIT', 'CRITICAL', 'DEBUG', 'ERROR', 'INFO', 'SAMPLE',
              'WARN', 'WARNING')

# A duration as operators write it (see ``stacktach_ng.common.durations``).
DURATION_PATTERN = '^[0-9]{1,12}[smhdwSMHDW]?$'


def param(name, schema, description, required=False):
    """An OpenAPI query parameter object."""
    return {'name': name, 'in': 'query', 'required': required,
            'description': description, 'schema': schema}


def text(**extra):
    return dict(_TEXT, **extra)


def duration(default, maximum, description):
    """A duration parameter's schema (see ``x-duration``)."""
    return {'type': 'string', 'pattern': DURATION_PATTERN,
            'default': str(default), 'x-duration': {'maximum': maximum},
            'description': description}


def comma_list(items, default):
    """A comma-separated list of ``items`` (see ``x-comma-list``)."""
    choice = '|'.join(items)
    return {'type': 'string', 'default': default,
            'pattern': '^(%s)(,(%s))*$' % (choice, choice),
            'x-comma-list': list(items)}


LIMIT = param(
    'limit', {'type': 'integer', 'minimum': 1, 'default': 100},
    'Number of items per page, 100 by default. Values above the '
    '``[api] max_limit`` option (1000 by default) are lowered to it.')
MARKER = param(
    'marker', text(),
    'Continue after this item: the key of the last item of the previous '
    'page. The ``next`` link of a page carries it.')
SINCE = param(
    'since', {'type': 'string', 'format': 'date-time'},
    'Only what was generated at or after this ISO 8601 time (UTC when '
    'it has no zone).')
UNTIL = param(
    'until', {'type': 'string', 'format': 'date-time'},
    'Only what was generated before this ISO 8601 time (UTC when it has '
    'no zone).')
SORT_DIR = param(
    'sort_dir', {'type': 'string', 'enum': ['desc', 'asc'],
                 'default': 'desc'},
    'Order by generation time: ``desc`` (newest first, the default) or '
    '``asc``.')
ALL_PROJECTS = param(
    'all_projects', {'type': 'boolean', 'default': False},
    'Every project instead of the project of the token (needs the '
    '``stacktach:all_projects`` policy, admins by default).')
PROJECT_ID = param(
    'project_id', text(),
    'Only this project. A project other than the token\'s needs the '
    '``stacktach:all_projects`` policy.')

SCOPE = [ALL_PROJECTS, PROJECT_ID]
PAGING = [LIMIT, MARKER]
TIME_RANGE = [SINCE, UNTIL]

NOTIFICATION_FILTERS = [
    param(name, text(), 'Only notifications whose ``%s`` is exactly this.'
          % name)
    if name != 'priority' else
    param(name, {'type': 'string', 'enum': list(PRIORITIES)},
          'Only notifications of this priority, in upper case as stored: '
          + ', '.join('``%s``' % value for value in PRIORITIES) + '.')
    for name in notification_queries.FILTER_COLUMNS]

NOTIFICATION_LIST = SCOPE + PAGING + TIME_RANGE + [
    SORT_DIR,
    param('event_type', text(),
          'An event type, or a glob: ``*`` matches any characters, ``?`` '
          'one character (``compute.instance.*``, ``*.error``).'),
    param('details', {'type': 'boolean', 'default': False},
          'Include the payload and context of every notification.'),
] + NOTIFICATION_FILTERS

COUNTS = SCOPE + PAGING + TIME_RANGE

NONE = []

# -- analyses -----------------------------------------------------------

OUTCOME = param(
    'outcome', {'type': 'string', 'enum': ['success', 'error', 'open']},
    '``success`` (ended without failure), ``error`` (something failed) or '
    '``open`` (not ended yet).')
OPERATION = param(
    'operation', text(),
    'An operation name such as ``instance.create``.')
ID_MARKER = param(
    'marker', {'type': 'integer', 'minimum': 1},
    'Continue after this item: the id of the last item of the previous '
    'page. The ``next`` link of a page carries it.')
MAX_BUCKETS = 10000
BUCKET = param(
    'bucket', {'type': 'integer', 'minimum': 1, 'maximum': 31 * 86400},
    'Also group by time buckets of this many seconds (at most %d buckets '
    'in the period).' % MAX_BUCKETS)

REQUEST_LIST = SCOPE + PAGING + TIME_RANGE + [OPERATION, OUTCOME]

RESOURCE_LIST = SCOPE + PAGING + [
    param('resource_type', dict(text(), **{'x-excludes': {'stuck': True}}),
          'Only resources of this type (``instance``, ``volume``...). '
          'Types are those the service has seen: a type no resource has '
          'is a 400 listing the known ones. Not with ``stuck=true``.'),
    param('stuck', {'type': 'boolean', 'default': False},
          'Only resources stuck in an operation: an operation open for '
          'longer than ``older_than`` with no task state change '
          'for as long, longest stuck first.'),
    param('older_than', dict(duration(
        600, 365 * 86400,
        'A duration: seconds (``600``) or a number and a unit '
        '(``10m``, ``1h``, ``2d``).'), **{'x-requires': {'stuck': True}}),
          'Only with ``stuck=true``: how long without progress (``600``, '
          '``10m``, ``1h``; 10 minutes by default).'),
]

TIMING_LIST = SCOPE + [LIMIT, ID_MARKER] + TIME_RANGE + [
    param('operation', text(),
          'An operation name, or a glob with ``*`` and ``?``.'),
    param('host', text(), 'Only operations that started or ended on this '
                          'host.'),
    param('resource_id', text(), 'Only operations on this resource.'),
    param('request_id', text(), 'Only operations of this request.'),
    OUTCOME,
]

GROUP_BY_KEYS = ('operation', 'host', 'service')
# Time groupings of the timing summary: names for bucket sizes.
GROUP_BY_TIMES = {'hour': 3600, 'day': 86400}

TIMING_SUMMARY = SCOPE + TIME_RANGE + [
    OPERATION,
    param('group_by', comma_list(GROUP_BY_KEYS + tuple(GROUP_BY_TIMES),
                                 'operation'),
          'Comma-separated keys to group by: ``operation`` (default), '
          '``host``, ``service``, and at most one of ``hour`` and ``day`` '
          '(the same as ``bucket=3600`` and ``bucket=86400``).'),
    BUCKET,
]

ERROR_LIST = SCOPE + PAGING + TIME_RANGE + [
    OPERATION, param('host', text(), 'Only errors raised on this host.')]

ERROR_SHOW = TIME_RANGE + [
    param('limit', {'type': 'integer', 'minimum': 1, 'default': 100},
          'Number of latest events of the group to return.')]

SUMMARY = SCOPE + TIME_RANGE + [BUCKET]

# -- usage --------------------------------------------------------------

_RESOURCE_TYPE = param(
    'resource_type', {'type': 'string',
                      'enum': ['instance', 'image', 'volume']},
    'Only records of this kind of resource.')
_RESOURCE_ID = param('resource_id', text(),
                     'Only records of this resource.')
_EXISTS_STATUS = param(
    'status', {'type': 'string',
               'enum': ['pending', 'verified', 'failed', 'reconciled']},
    'Only exists records with this verification status.')

LAUNCH_LIST = SCOPE + [LIMIT, ID_MARKER] + TIME_RANGE + [
    param('instance_id', text(), 'Only launches of this instance.')]

DELETE_LIST = SCOPE + [LIMIT, ID_MARKER] + TIME_RANGE + [
    _RESOURCE_TYPE, _RESOURCE_ID]

EXISTS_LIST = SCOPE + [LIMIT, ID_MARKER] + TIME_RANGE + [
    _RESOURCE_TYPE, _RESOURCE_ID, _EXISTS_STATUS]

VERIFICATION_LIST = SCOPE + [LIMIT, ID_MARKER] + [
    _RESOURCE_TYPE, _RESOURCE_ID, _EXISTS_STATUS,
    param('reason', text(),
          'Only failures with this reason code (``launched_at_mismatch``, '
          '``flavor_mismatch``, ``no_launch_known``...).')]

MISSING_LIST = SCOPE + [LIMIT, ID_MARKER] + TIME_RANGE

USAGE_REPORT = SCOPE + [
    param('start', {'type': 'string', 'format': 'date-time'},
          'Start of the period (ISO 8601, UTC when it has no zone); one '
          'day before ``end`` by default.'),
    param('end', {'type': 'string', 'format': 'date-time'},
          'End of the period, excluded; now by default.'),
]
