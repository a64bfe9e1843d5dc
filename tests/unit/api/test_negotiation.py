"""An Accept header refusing JSON: a clear 406, and no ERROR logged."""

import json
import logging

import pytest
import webob

from stacktach_ng.api import app
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base


@pytest.fixture(scope='module')
def application(tmp_path_factory):
    path = tmp_path_factory.mktemp('negotiation') / 'api.sqlite'
    conf = base.make_conf('sqlite:///%s' % path,
                          api={'auth_strategy': 'noauth'})
    database = db_api.Database(conf)
    migration.upgrade(database)
    yield app.setup_app(conf, database)
    database.dispose()


@pytest.mark.parametrize('path', ['/v1/notifications', '/v1/summary',
                                  '/v1/requests/req-1', '/', '/v1/'])
def test_html_only_is_a_clear_406_without_an_error_line(application, path,
                                                        caplog):
    request = webob.Request.blank(path)
    request.accept = 'text/html'
    with caplog.at_level(logging.DEBUG):
        response = request.get_response(application)
    assert response.status_int == 406
    assert response.content_type == 'application/json'
    error = json.loads(response.body)['error']
    assert error['code'] == 406
    assert 'application/json only' in error['message']
    assert 'text/html' in error['message']
    assert '/ui/' in error['message']
    assert not [record for record in caplog.records
                if record.levelno >= logging.ERROR]


@pytest.mark.parametrize('accept', [
    'application/json', '*/*', 'text/html,application/xhtml+xml,*/*;q=0.8',
    'application/*'])
def test_json_acceptable_is_served(application, accept):
    request = webob.Request.blank('/v1/')
    request.accept = accept
    assert request.get_response(application).status_int == 200


def test_metrics_keep_their_own_type(application):
    request = webob.Request.blank('/metrics')
    request.accept = 'text/plain'
    response = request.get_response(application)
    assert response.status_int == 200
    assert response.content_type == 'text/plain'


def test_metrics_refusing_text_is_a_clear_406(application, caplog):
    request = webob.Request.blank('/metrics')
    request.accept = 'application/xml'
    with caplog.at_level(logging.DEBUG):
        response = request.get_response(application)
    assert response.status_int == 406
    assert 'text/plain only' in json.loads(response.body)['error'][
        'message']
    assert not [record for record in caplog.records
                if record.levelno >= logging.ERROR]
