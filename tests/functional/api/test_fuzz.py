"""The API fuzzed from its own OpenAPI document with schemathesis.

Valid (positive) and invalid (negative) requests generated from the
document served at ``/v1/openapi.json`` must never get a 5xx, and every
response must match the status codes, content types and schemas the
document declares. Runs in process (WSGI) with ``noauth`` on SQLite over
the standard dataset.
"""

import hypothesis
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode

from stacktach_ng.api import app as api_app
from stacktach_ng.api import openapi
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from tests import base
from tests.functional.api import client as api_client
from tests.functional.api import data as api_data

SCHEMA = schemathesis.openapi.from_dict(openapi.document())
OPERATIONS = {result.ok().label: result.ok()
              for result in SCHEMA.get_all_operations()}
# Negative cases need something to break: only operations with parameters.
CASES = [(label, mode) for label in sorted(OPERATIONS)
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE
         or OPERATIONS[label].definition.raw.get('parameters')]
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance,
          checks.response_schema_conformance]


@pytest.fixture(scope='module')
def application(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('fuzz')
    config = workdir / 'stacktach-ng.conf'
    config.write_text('[api]\nauth_strategy = noauth\n[database]\n'
                      'connection = sqlite:///%s/fuzz.sqlite\n' % workdir)
    conf = base.make_conf(args=['--config-file', str(config)])
    database = db_api.Database(conf)
    migration.upgrade(database)
    api_data.store(conf, database, api_data.standard())
    yield api_app.setup_app(conf, database)
    database.dispose()


def test_served_document_is_the_fuzzed_one(application):
    client = api_client.Client(application)
    served = client.get_json('/v1/openapi.json')
    # The served copy names the URL it is served at (the test client's
    # host, no path prefix); the rest is the document fuzzed below.
    assert served.pop('servers') == [{'url': 'http://localhost'}]
    assert served == openapi.document()


@pytest.mark.parametrize('label,mode', CASES)
def test_fuzz(application, label, mode):
    operation = OPERATIONS[label]
    calls = []

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    # Every health check on: they hold over every operation of the
    # document (no deadline, though: the time of a request is the
    # machine's, not the API's).
    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    def run(case):
        response = case.call_and_validate(app=application, checks=CHECKS)
        calls.append(response.status_code)

    run()
    assert calls
    assert all(status < 500 for status in calls)
