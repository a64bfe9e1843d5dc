"""``/v1/usage/*`` and ``/v1/verifications`` on simulated traffic."""

import json
import urllib.parse

import pytest
import webob

from stacktach_ng.api import app
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.simulator import engine
from stacktach_ng.usage import verify
from tests import base


@pytest.fixture(scope='module')
def usage_app(tmp_path_factory):
    path = tmp_path_factory.mktemp('usage') / 'usage.sqlite'
    conf = base.make_conf('sqlite:///%s' % path,
                          api={'auth_strategy': 'noauth'},
                          verifier={'settle_delay': 0})
    database = db_api.Database(conf)
    migration.upgrade(database)
    simulator = engine.Simulator(seed=5, audit_period='hour')
    bodies = list(simulator.messages(count=6000))
    pipeline.Pipeline(conf, database).process(
        [forms.to_envelope(body) for body in bodies])
    verify.Verifier(conf, database, None).run_pass()
    yield app.setup_app(conf, database), simulator.truth
    database.dispose()


def _get(application, path):
    response = webob.Request.blank(path).get_response(application)
    return response.status_int, json.loads(response.body)


@pytest.mark.parametrize('path,key', [
    ('/v1/usage/launches', 'launches'), ('/v1/usage/deletes', 'deletes'),
    ('/v1/usage/exists', 'exists'), ('/v1/verifications', 'verifications')])
def test_lists_page_through_every_item(usage_app, path, key):
    application, _truth = usage_app
    status, first = _get(application, path + '?all_projects=true&limit=1000')
    assert status == 200
    everything = [item['id'] for item in first[key]]
    assert everything, 'the simulated traffic has %s' % key

    seen = []
    url = path + '?all_projects=true&limit=7'
    while url:
        status, page = _get(application, url)
        assert status == 200
        assert len(page[key]) <= 7
        seen.extend(item['id'] for item in page[key])
        url = page['next']
        if url:
            parsed = urllib.parse.urlsplit(url)
            url = parsed.path + '?' + parsed.query
    assert seen == everything


def test_project_filter_returns_only_that_project(usage_app):
    application, _truth = usage_app
    _, everything = _get(application,
                         '/v1/usage/launches?all_projects=true&limit=1000')
    project = everything['launches'][0]['project_id']
    _, mine = _get(application,
                   '/v1/usage/launches?project_id=%s&limit=1000' % project)
    assert mine['launches']
    assert {item['project_id'] for item in mine['launches']} == {project}
    assert len(mine['launches']) < len(everything['launches'])


def test_report_covers_the_period(usage_app):
    application, _truth = usage_app
    status, report = _get(
        application, '/v1/usage/report?all_projects=true'
        '&start=2026-01-01T00:00:00&end=2026-01-02T00:00:00')
    assert status == 200
    assert report['totals']['instance_hours'] > 0
    assert sum(p['instance_hours'] for p in report['projects']) == (
        pytest.approx(report['totals']['instance_hours'], rel=1e-6))


def test_verifications_filter_by_status(usage_app):
    application, _truth = usage_app
    status, page = _get(application,
                        '/v1/verifications?all_projects=true&status=verified')
    assert status == 200
    assert page['verifications']
    assert {item['status'] for item in page['verifications']} == {
        'verified'}


@pytest.mark.parametrize('path,parameter', [
    ('/v1/usage/exists?status=bogus', 'status'),
    ('/v1/usage/launches?marker=abc', 'marker'),
    ('/v1/usage/deletes?resource_type=server', 'resource_type'),
    ('/v1/usage/report?start=2026-01-02T00:00:00'
     '&end=2026-01-01T00:00:00', 'end'),
    ('/v1/usage/report?since=2026-01-01T00:00:00', 'since'),
    # Refused by the query, not by the request schema.
    ('/v1/verifications?reason=bogus', 'reason'),
])
def test_bad_parameters_are_400_naming_them(usage_app, path, parameter):
    application, _truth = usage_app
    status, body = _get(application, path)
    assert status == 400
    assert body['error']['message'].startswith(parameter + ':')
