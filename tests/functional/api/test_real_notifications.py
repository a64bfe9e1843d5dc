"""The API over real notifications of the OpenStack projects
(tests/fixtures/real), on every database.

``/v1/services`` names services only. ``/v1/resources?stuck=true``: a
heat stack left in
CREATE_IN_PROGRESS, a cinder volume left creating, an ironic node left
deploying, a nova boot that started and never ended, and a neutron port
create that never ended (its start names no port yet) are listed; once
they finished or were deleted, they are not.

The messages are the projects' own; the tests only date them (an hour
ago, then later) and give neutron's a request id in its context, as
neutron's notifier sends (the documented examples leave the context
out), so that its start and end are one request.
"""

import datetime
import glob
import os

import pytest

from stacktach_ng.api import app as api_app
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.pipeline import runner
from tests.functional.api import client as api_client
from tests.unit.pipeline.real import loader

# Read off the fixtures' payloads.
STACK = '8ae2bf8d-6d5f-4c5c-a8e8-2d2c1b3a6f41'
VOLUME = '044c4469-29ed-4b17-872b-90baa65ee7b9'
NODE = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'
INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
PORT_REQUEST = 'req-5c1f8a8e-7a0b-4c52-9e0a-6f3c2d9b1a40'


def _messages(project, *event_types):
    by_type = loader.by_event_type(project)
    return [by_type[event_type] for event_type in event_types]


def _port(event_type):
    message, = _messages('neutron', event_type)
    return dict(message, _context_request_id=PORT_REQUEST)


def _starts():
    return (_messages('heat',
                      'orchestration.stack.create.start')
            + _messages('cinder', 'volume.create.start')
            + _messages('ironic', 'baremetal.node.provision_set.start')
            + _messages('nova', 'instance.create.start')
            + [_port('port.create.start')])


def _ends():
    return (_messages('heat', 'orchestration.stack.create.end')
            + _messages('cinder', 'volume.create.end')
            + _messages('ironic', 'baremetal.node.console_set.end')
            + _messages('nova', 'instance.create.end')
            + [_port('port.create.end')])


@pytest.fixture
def cloud(migrated_conf, override):
    override(migrated_conf, 'auth_strategy', 'noauth', 'api')
    database = db_api.Database(migrated_conf)
    pipeline = runner.Pipeline(migrated_conf, database, source='import')
    client = api_client.Client(api_app.setup_app(migrated_conf, database))
    yield pipeline, client
    database.dispose()


def _store(pipeline, messages, when):
    result = pipeline.process([loader.at(m, when) for m in messages])
    assert result.stored == len(messages)


def _stuck(client):
    return client.get_json('/v1/resources', {
        'stuck': 'true', 'older_than': '10m',
        'all_projects': 'true'})['resources']


def test_left_alone_they_are_stuck_and_finished_they_are_not(cloud):
    pipeline, client = cloud
    now = timestamps.utcnow()
    _store(pipeline, _starts(), now - datetime.timedelta(hours=1))
    stuck = {(item['resource_type'], item['resource_id']): item
             for item in _stuck(client)}
    assert set(stuck) == {('stack', STACK), ('volume', VOLUME),
                          ('node', NODE), ('instance', INSTANCE),
                          ('port', None)}
    assert stuck[('stack', STACK)]['task_state'] == 'CREATE_IN_PROGRESS'
    assert stuck[('volume', VOLUME)]['task_state'] == 'creating'
    assert stuck[('node', NODE)]['task_state'] == 'deploying'
    assert stuck[('instance', INSTANCE)]['operation']['operation'] == (
        'instance.create')
    # The port create: no port yet, its request says which.
    port = stuck[('port', None)]
    assert port['operation']['operation'] == 'port.create'
    assert port['operation']['request_id'] == PORT_REQUEST
    assert 3000 * 10 ** 6 < port['stuck_for_us'] < 4000 * 10 ** 6
    # Paging goes through the id-less item by its request.
    first = client.get_json('/v1/resources', {
        'stuck': 'true', 'older_than': '10m', 'all_projects': 'true',
        'limit': 1})
    seen, _pages = client.follow('/v1/resources', 'resources', {
        'stuck': 'true', 'older_than': '10m', 'all_projects': 'true',
        'limit': 1})
    assert len(first['resources']) == 1 and len(seen) == 5

    _store(pipeline, _ends(), now - datetime.timedelta(minutes=50))
    assert _stuck(client) == []


def test_deleted_they_are_not_stuck(cloud):
    pipeline, client = cloud
    now = timestamps.utcnow()
    _store(pipeline, _messages('heat', 'orchestration.stack.delete.start')
           + _messages('cinder', 'volume.delete.start'),
           now - datetime.timedelta(hours=1))
    # Deletions that started and never ended are stuck too: the stack in
    # DELETE_IN_PROGRESS, the volume in its open volume.delete (cinder's
    # delete.start still says "available").
    stuck = {item['resource_id']: item for item in _stuck(client)}
    assert set(stuck) == {STACK, VOLUME}
    assert stuck[STACK]['task_state'] == 'DELETE_IN_PROGRESS'
    assert stuck[VOLUME]['operation']['operation'] == 'volume.delete'
    _store(pipeline, _messages('heat', 'orchestration.stack.delete.end')
           + _messages('cinder', 'volume.delete.end'),
           now - datetime.timedelta(minutes=55))
    assert _stuck(client) == []


# Every project's fixture stored, the services /v1/services lists: what
# each project's publisher ids name (nova-compute:compute,
# image.localhost, volume.localhost, orchestration.host1, identity...),
# or, where a publisher id names no service, the definitions' fallback
# (the audit middleware's observed service, "audit" for a target the
# catalog does not know; octavia's null publisher; magnum's; trove's,
# whose publisher id is its host alone, 0.0.0.0). manila's share.<host>
# is manila-share; magnum's container-infra.<host> is magnum.
SERVICES = {
    'audit', 'barbican', 'designate-central', 'identity', 'image',
    'infra-optim', 'ironic-api', 'ironic-conductor', 'magnum',
    'manila-share', 'masakari-api', 'masakari-engine', 'network', 'nova',
    'nova-api', 'nova-compute', 'nova-conductor', 'octavia',
    'orchestration', 'trove', 'volume', 'watcher-api',
}


def test_services_are_services(cloud):
    pipeline, client = cloud
    projects = sorted(os.path.basename(path)[:-len('.json')]
                      for path in glob.glob(os.path.join(
                          loader.DIRECTORY, '*.json')))
    assert len(projects) >= 14
    when = timestamps.utcnow() - datetime.timedelta(hours=1)
    for project in projects:
        for number, message in enumerate(loader.messages(project)):
            # Samples reuse message ids across projects' documents: each
            # is its own message here.
            message = dict(message, message_id='%s-%d' % (project, number))
            pipeline.process([loader.at(
                message, when + datetime.timedelta(seconds=number))])
    services, _pages = client.follow('/v1/services', 'services', {
        'all_projects': 'true'})
    assert {item['service'] for item in services} == SERVICES
