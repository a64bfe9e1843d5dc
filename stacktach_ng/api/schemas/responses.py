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
