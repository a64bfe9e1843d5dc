"""JSON schemas of the response bodies (OpenAPI 3.1 = JSON Schema 2020-12).

The functional tests validate real responses against these, through the
OpenAPI document, so they describe what the code returns.
"""

from stacktach_ng.queries import notifications as notification_queries


def nullable(schema):
    """``schema`` or null."""
    kinds = schema['type'] if isinstance(schema['type'], list) else [
        schema['type']]
    return dict(schema, type=kinds + ['null'])


STRING = {'type': 'string'}
TIME = {'type': 'string', 'format': 'date-time'}
NEXT = {'type': ['string', 'null'],
        'description': 'URL of the next page; null on the last page.'}

ERROR = {
    'type': 'object',
    'required': ['error'],
    'additionalProperties': False,
    'properties': {'error': {
        'type': 'object',
        'required': ['code', 'title', 'message'],
        'properties': {
            'code': {'type': 'integer', 'description': 'The HTTP status.'},
            'title': {'type': 'string',
                      'description': 'The reason phrase of the status.'},
            'message': {'type': 'string',
                        'description': 'What went wrong, for a person.'},
            'parameter': {'type': 'string',
                          'description': 'The query parameter at fault '
                                         '(400 only).'},
        },
    }},
}

LINK = {
    'type': 'object',
    'required': ['rel', 'href'],
    'properties': {'rel': STRING, 'href': STRING},
}

VERSION = {
    'type': 'object',
    'required': ['id', 'status', 'links'],
    'properties': {
        'id': STRING,
        'status': {'type': 'string', 'enum': ['CURRENT', 'SUPPORTED',
                                              'DEPRECATED']},
        'links': {'type': 'array', 'items': LINK},
    },
}

VERSIONS = {
    'type': 'object',
    'required': ['versions', 'default_version'],
    'properties': {
        'versions': {'type': 'array', 'items': VERSION},
        'default_version': VERSION,
    },
}

V1_INDEX = {
    'type': 'object',
    'required': ['id', 'links', 'resources'],
    'properties': {
        'id': STRING,
        'links': {'type': 'array', 'items': LINK},
        'resources': {'type': 'object',
                      'additionalProperties': LINK},
    },
}

_NOTIFICATION_REQUIRED = {'message_id', 'event_type', 'priority',
                          'generated_at', 'received_at'}
_NOTIFICATION_FIELDS = {
    name: (TIME if name.endswith('_at') else STRING)
    if name in _NOTIFICATION_REQUIRED
    else nullable(TIME if name.endswith('_at') else STRING)
    for name in notification_queries.SUMMARY_COLUMNS}
_NOTIFICATION_FIELDS.update(
    timestamp_missing={
        'type': 'boolean',
        'description': 'The message carried no timestamp: generated_at is '
                       'when it was received.'},
    conflict_of=nullable(dict(STRING, description=(
        'The message id the message came with, when another message had '
        'stored it first with other content; message_id is then derived '
        'from it and the content.'))))

NOTIFICATION_SUMMARY = {
    'type': 'object',
    'required': list(notification_queries.SUMMARY_COLUMNS),
    'additionalProperties': False,
    'properties': dict(
        _NOTIFICATION_FIELDS,
        payload={'description': 'The scrubbed payload (``details=true``).'},
        context={'type': 'object',
                 'description': 'The scrubbed context (``details=true``).'}),
}

NOTIFICATION = {
    'type': 'object',
    'required': list(notification_queries.SUMMARY_COLUMNS)
    + ['payload', 'context'],
    'additionalProperties': False,
    'properties': dict(
        _NOTIFICATION_FIELDS,
        payload={'description': 'The scrubbed payload, as sent.'},
        context={'type': 'object',
                 'description': 'The scrubbed context (request id, user, '
                                'project, roles...; never a token).'}),
}

NOTIFICATION_LIST = {
    'type': 'object',
    'required': ['notifications', 'next'],
    'additionalProperties': False,
    'properties': {
        'notifications': {'type': 'array', 'items': NOTIFICATION_SUMMARY},
        'next': NEXT,
    },
}


def count_list(key, column):
    """The body of ``/v1/event_types`` and its siblings."""
    return {
        'type': 'object',
        'required': [key, 'next'],
        'additionalProperties': False,
        'properties': {
            key: {'type': 'array', 'items': {
                'type': 'object',
                'required': [column, 'count', 'first_seen', 'last_seen'],
                'additionalProperties': False,
                'properties': {
                    column: STRING,
                    'count': {'type': 'integer', 'minimum': 1},
                    'first_seen': TIME,
                    'last_seen': TIME,
                },
            }},
            'next': NEXT,
        },
    }


# -- analyses -----------------------------------------------------------
# Items describe the keys the query modules document
# (``stacktach_ng.queries.*``); more keys may be added in later versions.

def _object(required, **properties):
    return {'type': 'object', 'required': list(required),
            'properties': properties}


def _list(key, item):
    return {
        'type': 'object',
        'required': [key, 'next'],
        'additionalProperties': False,
        'properties': {key: {'type': 'array', 'items': item}, 'next': NEXT},
    }


_DURATION = {'type': ['integer', 'null'], 'description': 'Microseconds.'}
_OUTCOME = {'type': 'string', 'enum': ['success', 'error', 'open']}

REQUEST = _object(
    ['request_id', 'global_request_id', 'project_id', 'operation',
     'service', 'host', 'started_at', 'ended_at', 'duration_us', 'outcome',
     'notifications'],
    request_id=STRING, global_request_id=nullable(STRING),
    project_id=nullable(STRING), operation=nullable(STRING),
    started_at=nullable(TIME), ended_at=nullable(TIME),
    duration_us=_DURATION, outcome=_OUTCOME,
    notifications={'type': 'integer'})
REQUEST_LIST = _list('requests', REQUEST)

SPAN = _object(['id', 'kind', 'children'], id=STRING,
               parent_id=nullable(STRING), kind=STRING,
               children={'type': 'array', 'items': {'type': 'object'}})
TRACE = _object(
    ['request_id', 'requests', 'started_at', 'ended_at', 'duration_us',
     'outcome', 'root', 'critical_path', 'span_count'],
    request_id=STRING, requests={'type': 'array', 'items': REQUEST},
    started_at=nullable(TIME), ended_at=nullable(TIME),
    duration_us=_DURATION, root=SPAN,
    critical_path={'type': 'array', 'items': STRING},
    span_count={'type': 'integer'})

_RESOURCE_KEYS = ['resource_id', 'resource_type', 'project_id',
                  'first_seen', 'last_seen', 'vm_state', 'task_state',
                  'power_state', 'status']
# resource_id is null only in the stuck list: a create that never ended
# and whose start named no resource yet (its operation names the request).
RESOURCE = _object(_RESOURCE_KEYS, resource_id=nullable(STRING),
                   resource_type=nullable(STRING),
                   project_id=nullable(STRING), first_seen=nullable(TIME),
                   last_seen=nullable(TIME))
RESOURCE_LIST = _list('resources', RESOURCE)
LIFECYCLE = _object(
    _RESOURCE_KEYS + ['transitions', 'task_states', 'time_in_task_state',
                      'operations', 'faults'],
    resource_id=STRING,
    transitions={'type': 'array', 'items': {'type': 'object'}},
    task_states={'type': 'array', 'items': {'type': 'object'}},
    time_in_task_state={'type': 'object',
                        'additionalProperties': {'type': 'integer'}},
    operations={'type': 'array', 'items': {'type': 'object'}},
    faults={'type': 'array', 'items': {'type': 'object'}})

OPERATION = _object(
    ['id', 'operation', 'attempt', 'resource_id', 'request_id',
     'project_id', 'started_at', 'ended_at', 'duration_us', 'outcome'],
    id={'type': 'integer'}, operation=STRING,
    attempt={'type': 'integer', 'minimum': 0},
    started_at=nullable(TIME), ended_at=nullable(TIME),
    duration_us=_DURATION, outcome=_OUTCOME)
TIMING_LIST = _list('timings', OPERATION)

_STATISTICS = _object(
    ['count', 'errors', 'min_us', 'p50_us', 'p95_us', 'p99_us', 'max_us'],
    count={'type': 'integer'}, errors={'type': 'integer'},
    min_us=_DURATION, p50_us=_DURATION, p95_us=_DURATION,
    p99_us=_DURATION, max_us=_DURATION)
TIMING_SUMMARY = _object(
    ['since', 'until', 'group_by', 'summary'], since=TIME, until=TIME,
    group_by={'type': 'array', 'items': STRING},
    summary={'type': 'array', 'items': _STATISTICS})

ERROR_GROUP = _object(
    ['fingerprint', 'exception', 'message', 'count', 'first_seen',
     'last_seen', 'hosts', 'sample_requests'],
    fingerprint=STRING, count={'type': 'integer'},
    first_seen=nullable(TIME), last_seen=nullable(TIME),
    hosts={'type': 'array'}, sample_requests={'type': 'array'})
ERROR_LIST = _list('errors', ERROR_GROUP)
ERROR_DETAIL = dict(ERROR_GROUP, required=ERROR_GROUP['required']
                    + ['events'], properties=dict(
                        ERROR_GROUP['properties'],
                        events={'type': 'array',
                                'items': {'type': 'object'}}))

SUMMARY = _object(
    ['since', 'until', 'notifications', 'errors', 'error_rate',
     'by_event_type', 'by_service', 'by_host', 'buckets',
     'request_latency'],
    since=TIME, until=TIME, notifications={'type': 'integer'},
    errors={'type': 'integer'}, error_rate={'type': ['number', 'null']},
    by_event_type={'type': 'array'}, by_service={'type': 'array'},
    by_host={'type': 'array'}, buckets={'type': 'array'},
    request_latency={'type': 'array'})

# -- usage ----------------------------------------------------------------
# Items carry the keys documented by ``stacktach_ng.queries.usage``.

_USAGE_ITEM = _object(['id'], id={'type': 'integer'})
LAUNCH_LIST = _list('launches', _USAGE_ITEM)
DELETE_LIST = _list('deletes', _USAGE_ITEM)
EXISTS_LIST = _list('exists', _USAGE_ITEM)
VERIFICATION_LIST = _list('verifications', _USAGE_ITEM)
MISSING_LIST = _list('missing', _USAGE_ITEM)
USAGE_REPORT = _object(['start', 'end', 'projects', 'totals'],
                       projects={'type': 'array'},
                       totals={'type': 'object'})
