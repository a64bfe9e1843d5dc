"""The API's contract (see "Conventions" in the API reference), walked
over every path of its OpenAPI document on each database: times are UTC
ISO 8601 with a ``Z``, durations integer microseconds named ``*_us``, a
value outside a closed set or a pattern is a 400 saying what is
accepted, a filter that only applies with another is a 400 saying which,
and a mistyped resource type is a 400 listing the known ones rather than
an empty page."""

import re

import pytest

from stacktach_ng.api import app as api_app
from stacktach_ng.api import openapi
from stacktach_ng.api.schemas import parameters
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner
from stacktach_ng.simulator import engine
from stacktach_ng.usage import verify
from tests import base
from tests.functional import services
from tests.functional.api import client as api_client
from tests.functional.api import data as api_data

DOCUMENT = openapi.document()
# Wide enough for the standard dataset (2026-03) and the simulated
# traffic (2026-01), narrow enough for the summaries' buckets.
WIDE = {'since': '2026-01-01T00:00:00Z', 'until': '2026-04-01T00:00:00Z'}
_TIME = re.compile(r'^\d{4}-\d\d-\d\d[T ]\d\d:\d\d')
_ISO_Z = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$')


@pytest.fixture(scope='module', params=services.BACKENDS)
def api(request, tmp_path_factory):
    """(client, dataset): the no-auth API over the standard dataset, a
    simulated hour of cloud with its audits, verified."""
    test_database = services.TestDatabase(
        request.param, tmp_path_factory.mktemp('contract'))
    conf = base.make_conf(test_database.create(),
                          api={'auth_strategy': 'noauth'},
                          verifier={'settle_delay': 0})
    database = db_api.Database(conf)
    migration.upgrade(database)
    dataset = api_data.standard()
    api_data.store(conf, database, dataset)
    simulator = engine.Simulator(seed=5, projects=3, hosts=3,
                                 audit_period='hour')
    runner.Pipeline(conf, database, source='import').process(
        [forms.to_envelope(body) for body in simulator.messages(count=3000)])
    verify.Verifier(conf, database, None).run_pass()
    yield api_client.Client(api_app.setup_app(conf, database)), dataset
    database.dispose()
    test_database.drop()


def _query_params(path):
    return {param['name']: param for param in
            DOCUMENT['paths'][path]['get'].get('parameters', [])
            if param['in'] == 'query'}


def _widest(path):
    """The parameters that show the most of a path's data."""
    declared = _query_params(path)
    params = {name: value for name, value in WIDE.items()
              if name in declared}
    if 'all_projects' in declared:
        params['all_projects'] = 'true'
    if 'start' in declared:
        params.update(start=WIDE['since'], end=WIDE['until'])
    return params


def _json_paths():
    return [path for path, item in DOCUMENT['paths'].items()
            if 'application/json' in item['get']['responses']['200'][
                'content'] and path != '/v1/openapi.json']


def _walk(value, key=None):
    """(key, value) of every member of a JSON document, nested ones
    too."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


def test_times_are_utc_with_z_and_durations_microseconds(api):
    client, dataset = api
    ids = api_data.path_ids(client, dataset, all_projects='true', **WIDE)
    checked = {}
    for path in _json_paths():
        body = client.get_json(api_data.concrete(path, ids), _widest(path))
        times = 0
        for key, value in _walk(body):
            if isinstance(value, str) and _TIME.match(value):
                assert _ISO_Z.match(value), (path, key, value)
                times += 1
            if key and key.endswith('_us'):
                assert value is None or (
                    isinstance(value, int) and not isinstance(value, bool)
                ), (path, key, value)
        checked[path] = times
    # Not vacuous: the usage and verification documents hold times too.
    for path in ('/v1/usage/launches', '/v1/usage/exists',
                 '/v1/usage/report', '/v1/verifications',
                 '/v1/notifications', '/v1/requests/{request_id}'):
        assert checked[path] > 0, path


def _refused(client, path, params):
    response = client.get(path, params)
    assert response.status == 400, (path, params, response)
    return response.json['error']


def test_every_closed_set_refuses_an_unknown_value_and_lists_it(api):
    client, dataset = api
    ids = api_data.path_ids(client, dataset, all_projects='true', **WIDE)
    seen = 0
    for path in DOCUMENT['paths']:
        for name, param in _query_params(path).items():
            schema = param['schema']
            accepted = schema.get('enum') or schema.get('x-comma-list')
            if not accepted or schema.get('type') == 'boolean':
                continue
            for value in ('bogus', accepted[0].swapcase()):
                error = _refused(client, api_data.concrete(path, ids),
                                 {name: value})
                assert error['parameter'] == name
                assert repr(value) in error['message'], error
                for choice in accepted:
                    assert choice in error['message'], (path, error)
                seen += 1
    assert seen >= 10


def test_every_pattern_failure_says_what_it_expects(api):
    client, dataset = api
    ids = api_data.path_ids(client, dataset, all_projects='true', **WIDE)
    for path in DOCUMENT['paths']:
        for name, param in _query_params(path).items():
            schema = param['schema']
            if 'pattern' not in schema or schema[
                    'pattern'] == parameters.CONTROL_CHARACTERS:
                continue
            params = {name: 'not*valid'}
            for needed, value in schema.get('x-requires', {}).items():
                params[needed] = 'true' if value is True else value
            error = _refused(client, api_data.concrete(path, ids), params)
            assert 'control characters' not in error['message'], error
            assert "'not*valid'" in error['message'], error


def test_filters_that_only_apply_together_say_which(api):
    client, dataset = api
    ids = api_data.path_ids(client, dataset, all_projects='true', **WIDE)
    seen = 0
    for path in DOCUMENT['paths']:
        for name, param in _query_params(path).items():
            schema = param['schema']
            value = schema.get('default') or 'instance'
            for other in schema.get('x-requires', {}):
                error = _refused(client, api_data.concrete(path, ids),
                                 {name: value})
                assert error['message'] == (
                    '%s: only applies with %s=true' % (name, other))
                seen += 1
            for other in schema.get('x-excludes', {}):
                error = _refused(client, api_data.concrete(path, ids),
                                 {name: value, other: 'true'})
                assert error['message'] == (
                    '%s: does not apply with %s=true' % (name, other))
                seen += 1
    assert seen >= 2


@pytest.mark.parametrize('path', ['/v1/resources', '/v1/notifications'])
def test_a_mistyped_resource_type_lists_the_known_ones(api, path):
    client, _ = api
    error = _refused(client, path, {'resource_type': 'instnace',
                                    'all_projects': 'true'})
    assert error['parameter'] == 'resource_type'
    assert "no resource has type 'instnace'" in error['message']
    assert 'instance' in error['message'] and 'image' in error['message']
    found = client.get_json(path, {'resource_type': 'instance',
                                   'all_projects': 'true'})
    assert found[path.rsplit('/', 1)[1]]


@pytest.mark.parametrize('older_than', ['600', '10m'])
def test_older_than_reads_a_duration(api, older_than):
    client, _ = api
    stuck = client.get_json('/v1/resources', {
        'stuck': 'true', 'older_than': older_than, 'all_projects': 'true'})
    seconds = client.get_json('/v1/resources', {
        'stuck': 'true', 'older_than': '600', 'all_projects': 'true'})
    # The same resources (how long they are stuck grows between calls).
    assert [item['resource_id'] for item in stuck['resources']] == [
        item['resource_id'] for item in seconds['resources']]
    assert stuck['resources']
    assert all(item['stuck_for_us'] > 600 * 10 ** 6
               for item in stuck['resources'])


def test_timings_group_by_hour_is_a_bucket_of_an_hour(api):
    client, _ = api
    by_hour = client.get_json('/v1/timings/summary', dict(
        WIDE, group_by='operation,hour', all_projects='true'))
    by_bucket = client.get_json('/v1/timings/summary', dict(
        WIDE, group_by='operation', bucket='3600', all_projects='true'))
    assert by_hour['summary'] and by_hour == by_bucket
    assert all(item['bucket'].endswith(':00:00Z')
               for item in by_hour['summary'])
    error = _refused(client, '/v1/timings/summary', {
        'group_by': 'hour', 'bucket': '600'})
    assert 'hour and bucket both set the time grouping' in error['message']
