"""The OpenAPI 3.1 document of the API, served at ``/v1/openapi.json``.

It is built from the same parameter declarations the controllers validate
with (``schemas.parameters``) and from the response schemas
(``schemas.responses``) that the functional tests check real responses
against; a new endpoint is a new row of ``ENDPOINTS``.
"""

import copy
import functools

from stacktach_ng import version
from stacktach_ng.api import render
from stacktach_ng.api.schemas import parameters
from stacktach_ng.api.schemas import responses

JSON = 'application/json'

#: The conventions every path follows, as the API reference states them.
CONTRACT = (
    'Times are UTC, ISO 8601 with a Z (2026-01-31T12:00:00Z, microseconds '
    'when there are some), in every response, usage and verifications '
    'included; a time parameter without a zone is UTC. Durations are '
    'integer microseconds in fields named *_us; duration parameters '
    '(x-duration) take 600 (seconds), 10m, 1h, 2d. A parameter with an '
    'enum, or a comma-separated list of x-comma-list items, is a closed '
    'set in the case shown: any other value is a 400 listing the accepted '
    'ones. A parameter with x-requires only applies with those values of '
    'other parameters, one with x-excludes not with them: given otherwise, '
    'a 400 says which. A resource_type filter that no resource has is a '
    '400 listing the known types, not an empty page. 406 when the Accept '
    'header refuses application/json.')


class Endpoint:
    """A GET endpoint of the API as the document describes it."""

    def __init__(self, path, operation_id, summary, params, body,
                 public=False, not_found=False, content_type=JSON):
        self.path = path
        self.operation_id = operation_id
        self.summary = summary
        self.params = params
        self.body = body
        self.public = public
        self.not_found = not_found
        self.content_type = content_type


def _path_params(path):
    names = [part[1:-1] for part in path.split('/')
             if part.startswith('{') and part.endswith('}')]
    return [{'name': name, 'in': 'path', 'required': True,
             'schema': {'type': 'string', 'minLength': 1}}
            for name in names]


ENDPOINTS = [
    Endpoint('/', 'listVersions', 'The API versions.', parameters.NONE,
             responses.VERSIONS, public=True),
    Endpoint('/v1/', 'showV1', 'The resources of version 1.',
             parameters.NONE, responses.V1_INDEX, public=True),
    Endpoint('/v1/openapi.json', 'showOpenAPI', 'This document.',
             parameters.NONE, {'type': 'object'}, public=True),
    Endpoint('/v1/notifications', 'listNotifications',
             'Notifications matching filters, newest first, paged.',
             parameters.NOTIFICATION_LIST, responses.NOTIFICATION_LIST),
    Endpoint('/v1/notifications/{message_id}', 'showNotification',
             'One notification with its payload and context.',
             parameters.NONE, responses.NOTIFICATION, not_found=True),
    Endpoint('/v1/event_types', 'listEventTypes',
             'Event types seen, with counts.', parameters.COUNTS,
             responses.count_list('event_types', 'event_type')),
    Endpoint('/v1/hosts', 'listHosts', 'Publishing hosts seen, with counts.',
             parameters.COUNTS, responses.count_list('hosts', 'host')),
    Endpoint('/v1/services', 'listServices',
             'Publishing services seen, with counts.', parameters.COUNTS,
             responses.count_list('services', 'service')),
    Endpoint('/v1/requests', 'listRequests',
             'Recent requests with duration and outcome.',
             parameters.REQUEST_LIST, responses.REQUEST_LIST),
    Endpoint('/v1/requests/{request_id}', 'showTrace',
             'The trace of a request: a tree of spans.', parameters.NONE,
             responses.TRACE, not_found=True),
    Endpoint('/v1/resources', 'listResources',
             'Resources, most recently seen first, or the stuck ones.',
             parameters.RESOURCE_LIST, responses.RESOURCE_LIST),
    Endpoint('/v1/resources/{resource_id}', 'showLifecycle',
             'The lifecycle of a resource.', parameters.NONE,
             responses.LIFECYCLE, not_found=True),
    Endpoint('/v1/timings', 'listTimings',
             'Operations with their duration, latest first.',
             parameters.TIMING_LIST, responses.TIMING_LIST),
    Endpoint('/v1/timings/summary', 'summarizeTimings',
             'Duration statistics of the operations ended in a period '
             '(the last day by default).', parameters.TIMING_SUMMARY,
             responses.TIMING_SUMMARY),
    Endpoint('/v1/errors', 'listErrors',
             'Errors grouped by fingerprint, most recent first.',
             parameters.ERROR_LIST, responses.ERROR_LIST),
    Endpoint('/v1/errors/{fingerprint}', 'showError',
             'One error group with its latest events.',
             parameters.ERROR_SHOW, responses.ERROR_DETAIL, not_found=True),
    Endpoint('/v1/summary', 'showSummary',
             'Counts, error rates and request latency of a period (the '
             'last day by default).', parameters.SUMMARY,
             responses.SUMMARY),
    Endpoint('/v1/usage/launches', 'listLaunches',
             'Instance launches (create, rebuild, resize, rescue), newest '
             'first.', parameters.LAUNCH_LIST, responses.LAUNCH_LIST),
    Endpoint('/v1/usage/deletes', 'listDeletes',
             'Deletions of instances, images and volumes, newest first.',
             parameters.DELETE_LIST, responses.DELETE_LIST),
    Endpoint('/v1/usage/exists', 'listExists',
             'Exists audit records with their verification status.',
             parameters.EXISTS_LIST, responses.EXISTS_LIST),
    Endpoint('/v1/usage/missing', 'listMissingExists',
             'Instances alive during an audit period with no exists '
             'record for it.', parameters.MISSING_LIST,
             responses.MISSING_LIST),
    Endpoint('/v1/usage/report', 'showUsageReport',
             'Instance, vCPU, RAM, disk, image and volume hours per '
             'project and flavor over a period (the last day by default).',
             parameters.USAGE_REPORT, responses.USAGE_REPORT),
    Endpoint('/v1/verifications', 'listVerifications',
             'Verdicts on exists records, newest first.',
             parameters.VERIFICATION_LIST, responses.VERIFICATION_LIST),
    Endpoint('/metrics', 'showMetrics',
             'Ingestion metrics in the Prometheus text format.',
             parameters.NONE, {'type': 'string'},
             content_type='text/plain'),
]


def _error(description):
    return {'description': description,
            'content': {JSON: {'schema': responses.ERROR}}}


def _operation(endpoint):
    operation = {
        'operationId': endpoint.operation_id,
        'summary': endpoint.summary,
        'parameters': _path_params(endpoint.path) + list(endpoint.params),
        'responses': {
            '200': {'description': 'OK', 'content': {
                endpoint.content_type: {'schema': endpoint.body}}},
            '400': _error('A query parameter is unknown, repeated or '
                          'invalid, or given without (or with) a parameter '
                          'it only applies with (does not apply with); '
                          '``error.parameter`` names it.'),
            '406': _error('The Accept header refuses %s.'
                          % endpoint.content_type),
        },
    }
    if endpoint.public:
        operation['security'] = []
    else:
        operation['responses']['401'] = _error(
            'No token, or a token that is not valid.')
        operation['responses']['403'] = _error('The policy does not allow '
                                               'it.')
    if endpoint.not_found:
        operation['responses']['404'] = _error('No such item in the '
                                               'caller\'s projects.')
    return operation


@functools.lru_cache(maxsize=1)
def _document():
    paths = {endpoint.path: {'get': _operation(endpoint)}
             for endpoint in ENDPOINTS}
    paths['/healthcheck'] = {'get': {
        'operationId': 'healthcheck',
        'summary': 'Whether the API process is up (oslo.middleware '
                   'healthcheck).',
        'security': [],
        'responses': {
            '200': {'description': 'Healthy.',
                    'content': {'text/plain': {'schema': {
                        'type': 'string'}}}},
            '503': {'description': 'Disabled or unhealthy.',
                    'content': {'text/plain': {'schema': {
                        'type': 'string'}}}},
        },
    }}
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'stacktach-ng',
            'version': version.version_info.version_string(),
            'description': (
                'OpenStack notifications turned into answers. '
                'Authenticate with a Keystone token in X-Auth-Token '
                '(unless the deployment runs with auth_strategy = noauth). '
                'Errors are JSON: {"error": {"code", "title", "message", '
                '"parameter"}}. Lists are paged: follow "next" until it is '
                'null. ' + CONTRACT),
        },
        'components': {'securitySchemes': {'keystone': {
            'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token',
            'description': 'A Keystone token.'}}},
        'security': [{'keystone': []}],
        'paths': paths,
    }


def document():
    """The OpenAPI document (a fresh copy the caller may change)."""
    return copy.deepcopy(_document())


def rendered(server_url):
    """The document as JSON bytes, its ``servers`` the URL the API is
    served at (behind a path prefix, such as devstack's ``/stacktach``,
    the paths are relative to it, not to the host's root)."""
    return render.dumps(dict(_document(), servers=[{'url': server_url}]))
