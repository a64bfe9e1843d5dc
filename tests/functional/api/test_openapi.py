"""Real responses validated against the OpenAPI document they are
described by, on every database."""

import jsonschema
import pytest

from stacktach_ng.api import openapi
from tests.functional.api import data as api_data

DOCUMENT = openapi.document()


def _schema(path, status, content_type='application/json'):
    operation = DOCUMENT['paths'][path]['get']
    return operation['responses'][str(status)]['content'][content_type][
        'schema']


def _validate(response, path):
    assert str(response.status) in DOCUMENT['paths'][path]['get'][
        'responses'], response
    media = response.content_type
    schema = _schema(path, response.status, media)
    if media == 'application/json':
        jsonschema.validate(response.json, schema,
                            cls=jsonschema.Draft202012Validator,
                            format_checker=jsonschema.FormatChecker())


def _requests(client, dataset):
    ids = api_data.path_ids(client, dataset, since='2026-03-01T00:00:00Z')
    message_id = ids['{message_id}']
    day = {'since': '2026-03-01T00:00:00Z', 'until': '2026-03-02T00:00:00Z'}
    analyses = [(path, api_data.concrete(path, ids), day if path.endswith(
        ('summary', 'errors', '{fingerprint}')) else {})
        for path in DOCUMENT['paths'] if path.startswith(
            ('/v1/requests', '/v1/resources', '/v1/timings', '/v1/errors',
             '/v1/summary'))]
    analyses += [
        ('/v1/resources', '/v1/resources', {'stuck': 'true',
                                            'older_than': '1'}),
        ('/v1/timings/summary', '/v1/timings/summary',
         dict(day, group_by='host,service', bucket='3600')),
        ('/v1/summary', '/v1/summary', dict(day, bucket='600')),
        ('/v1/requests/{request_id}', '/v1/requests/nope', {}),
        ('/v1/timings', '/v1/timings', {'marker': '999999'}),
    ]
    return analyses + [
        ('/', '/', {}),
        ('/v1/', '/v1/', {}),
        ('/v1/openapi.json', '/v1/openapi.json', {}),
        ('/v1/notifications', '/v1/notifications', {}),
        ('/v1/notifications', '/v1/notifications',
         {'details': 'true', 'limit': 3}),
        ('/v1/notifications', '/v1/notifications',
         {'event_type': 'image.*', 'details': 'true'}),
        ('/v1/notifications', '/v1/notifications', {'limit': 'x'}),
        ('/v1/notifications/{message_id}', '/v1/notifications/' + message_id,
         {}),
        ('/v1/notifications/{message_id}', '/v1/notifications/nope', {}),
        ('/v1/event_types', '/v1/event_types', {'limit': 2}),
        ('/v1/hosts', '/v1/hosts', {}),
        ('/v1/services', '/v1/services', {'since': '2026-01-01T00:00:00Z'}),
        ('/v1/services', '/v1/services', {'marker': ''}),
        ('/metrics', '/metrics', {}),
    ]


def test_real_responses_match_the_document(noauth):
    client, dataset = noauth
    statuses = set()
    for documented, path, params in _requests(client, dataset):
        response = client.get(path, params)
        _validate(response, documented)
        statuses.add(response.status)
    assert statuses == {200, 400, 404}


def test_every_documented_path_is_served(noauth):
    client, dataset = noauth
    ids = api_data.path_ids(client, dataset, since='2026-03-01T00:00:00Z')
    for path in DOCUMENT['paths']:
        response = client.get(api_data.concrete(path, ids))
        assert response.status == 200, (path, response)


def test_document_declares_the_parameters_the_code_accepts(noauth):
    client, _ = noauth
    for path, item in DOCUMENT['paths'].items():
        if '{' in path or path == '/healthcheck':
            continue
        for param in item['get'].get('parameters', []):
            response = client.get(path, {param['name']: 'x' * 300})
            # Accepted as a parameter (not "unknown"), whatever the value.
            if response.status == 400:
                assert 'unknown parameter' not in response.json['error'][
                    'message'], (path, param['name'])


@pytest.mark.parametrize('path', ['/v1/notifications', '/metrics'])
def test_undocumented_parameters_are_refused(noauth, path):
    client, _ = noauth
    response = client.get(path, {'surely_not_a_parameter': '1'})
    assert response.status == 400
