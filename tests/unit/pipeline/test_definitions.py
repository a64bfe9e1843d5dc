"""Resource definitions: loading, errors with file and line, what they
find, an operator's own service by YAML alone, and real notifications."""

import datetime
import json
import os

import pytest
import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng.analyses import timings
from stacktach_ng.cmd.manage import definitions as command
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.pipeline import definitions
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import lifecycles
from tests import base
from tests.unit.pipeline.real import loader

_NOW = datetime.datetime(2026, 3, 1, 12, 0, 0)


@pytest.fixture(autouse=True)
def defaults_after():
    """Every test leaves the default definitions in use."""
    yield
    definitions.install(None)


def _write(tmp_path, text, name='defs.yaml'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _record(message, rules=None):
    return normalize.normalize(forms.to_envelope(message), _NOW, None,
                               rules)


# -- errors --------------------------------------------------------------


@pytest.mark.parametrize('text,line,problem', [
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     "    ids: ['$.a[']\n", 4, 'invalid JSONPath'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     '    colour: blue\n', 4, 'unknown keys colour'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     '  - name: a\n    event_types: [b.*]\n', 4, 'duplicate'),
    ('definitions:\n  - name: a\n    event_types: [a.*\n', 4,
     'not valid YAML'),
    ('definitions:\n  - name: a\n    event_types: []\n', 3,
     'event_types must be'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     '    state:\n      paths: [$.s]\n      final: [x]\n', 5,
     'unknown keys in state'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     "    ids: ['$..{type}.id']\n", 4, '{type} is only allowed'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     '    ids:\n      - request_path: $.p\n', 5,
     'the keys request_path and type_uri'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     "    ids:\n      - {request_path: '$.p[', type_uri: $.t}\n", 5,
     'invalid JSONPath'),
    ('definitions:\n  - name: a\n    event_types: [a.*]\n'
     '    owner_defaults: no-thanks\n', 4, 'owner_defaults is true'),
])
def test_a_bad_file_names_its_file_and_line(tmp_path, text, line, problem):
    path = _write(tmp_path, text)
    with pytest.raises(exception.InvalidDefinitions) as raised:
        definitions.load(path)
    assert raised.value.source == path
    assert raised.value.line == line
    assert problem in raised.value.problem
    assert str(raised.value).startswith('%s:%d: ' % (path, line))


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(exception.InvalidDefinitions) as raised:
        definitions.load(str(tmp_path / 'none.yaml'))
    assert 'cannot read' in str(raised.value)


def test_the_pipeline_refuses_to_start_on_a_bad_file(tmp_path):
    path = _write(tmp_path, 'definitions: 5\n')
    conf = base.make_conf('sqlite://',
                          DEFAULT={'resource_definitions': path})
    with pytest.raises(exception.InvalidDefinitions):
        runner.Pipeline(conf, database=None, handlers=[])


def test_the_defaults_load_and_compile_every_path():
    rules = definitions.load()
    names = [d.name for d in rules.definitions]
    assert len(names) == len(set(names))
    assert names[-1] == 'unknown'


# -- paths ---------------------------------------------------------------


def test_paths_of_keys_are_read_without_the_library():
    path = definitions.compile_path("$.instance.'nova_object.data'.uuid")
    assert path.steps == ('instance', 'nova_object.data', 'uuid')
    assert path.values(
        {'instance': {'nova_object.data': {'uuid': 'u1'}}}) == ('u1',)
    assert path.values({'instance': 'u1'}) == ()


def test_other_paths_are_read_by_the_library():
    path = definitions.compile_path('$.ports[?(@.id)].id')
    assert path.steps is None
    assert path.values({'ports': [{'id': 'p1'}, {'x': 1}]}) == ('p1',)


def test_a_wildcard_finds_every_item():
    path = definitions.compile_path('$.ports[*].id')
    assert path.values({'ports': [{'id': 'p1'}, {'id': 'p2'}, {}]}) == (
        'p1', 'p2')


# -- what the defaults find ----------------------------------------------


def test_a_bulk_create_names_every_resource():
    record = _record({
        'priority': 'INFO', 'event_type': 'port.create.end',
        'publisher_id': 'network.ctl-1',
        'payload': {'ports': [{'id': 'p1', 'tenant_id': 't1'},
                              {'id': 'p2', 'tenant_id': 't1'}]}})
    assert record.row['resource_type'] == 'port'
    assert record.row['resource_id'] == 'p1'
    assert record.resource_ids == ('p1', 'p2')
    assert record.row['project_id'] == 't1'


@pytest.mark.parametrize('state,task_state', [
    ('CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'),
    ('CREATE_COMPLETE', None),
    ('UPDATE_FAILED', None),
])
def test_a_heat_stack_in_progress_is_in_a_task_state(state, task_state):
    record = _record({
        'priority': 'INFO', 'event_type': 'orchestration.stack.create.end',
        'publisher_id': 'orchestration.heat-1',
        'payload': {'stack_identity': 'arn:openstack:heat::t1:stacks/s/'
                                      'stack-1', 'state': state,
                    'user_id': 'admin', 'tenant_id': 't1'},
        '_context_user_id': 'u-123'})
    row = record.row
    assert (row['resource_type'], row['resource_id']) == ('stack',
                                                          'stack-1')
    assert (row['vm_state'], row['task_state']) == (state, task_state)
    # The payload's user_id is the user's name: the context has the id.
    assert row['user_id'] == 'u-123'


def test_a_heat_user_is_user_identity_else_the_context_s():
    payload = {'stack_identity': 'stack-1', 'state': 'CREATE_COMPLETE',
               'user_id': 'admin', 'tenant_id': 't1'}
    message = {'priority': 'INFO',
               'event_type': 'orchestration.stack.create.end',
               'publisher_id': 'orchestration.heat-1', 'payload': payload}
    # Since Mitaka the payload has the id as user_identity.
    assert _record(dict(message, payload=dict(
        payload, user_identity='u-9'))).row['user_id'] == 'u-9'
    # Without a context, no user: user_id is a name.
    assert _record(message).row['user_id'] is None


# The audit middleware's typeURI and request path (as its own tests build
# them: keystonemiddleware/tests/unit/audit/test_audit_api.py), and the
# resource id the request names.
@pytest.mark.parametrize('type_uri,path,resource_id', [
    ('service/compute/servers/server', '/v2/p1/servers/s1', 's1'),
    ('service/compute/servers/server', '/v2/p1/servers/s1?a=b', 's1'),
    ('service/compute/servers', '/v2/p1/servers', None),
    ('service/compute/servers', '/v2/p1/servers?all_tenants=1', None),
    ('service/compute/servers/action', '/v2/p1/servers/action', None),
    ('service/compute/os-hosts/host/reboot', '/v2/p1/os-hosts/h1/reboot',
     None),
    ('unknown', '/v2/p1/servers', None),
    ('service/compute/servers/server', None, None),
    # barbican's audit map: "secrets=", no singular (its
    # etc/barbican/api_audit_map.conf); the middleware then writes "/"
    # and nothing for the segment after the keyword.
    ('service/security/keymanager/secrets/', '/v1/secrets/k1', 'k1'),
    ('service/security/keymanager/secrets/', '/v1/secrets/k1/payload',
     'k1'),
    ('service/security/keymanager/secrets', '/v1/secrets', None),
])
def test_an_audit_event_s_resource_is_named_by_its_request_path(
        type_uri, path, resource_id):
    payload = {'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/event',
               'observer': {'id': 'target'},
               'target': {'typeURI': type_uri, 'id': 'resource_id',
                          'name': 'nova'},
               'initiator': {'id': 'u1', 'project_id': 'p1'},
               'outcome': 'pending'}
    if path is not None:
        payload['requestPath'] = path
    row = _record({'priority': 'INFO', 'event_type': 'audit.http.request',
                   'publisher_id': 'uwsgi', 'payload': payload}).row
    assert row['resource_id'] == resource_id
    assert row['resource_type'] == type_uri.rstrip('/').rsplit('/', 1)[-1]


@pytest.mark.parametrize('observer,target,service', [
    # The middleware observes the target: the target's name.
    ({'id': 'target'}, {'name': 'nova'}, 'nova'),
    # An observer with a name of its own names the service.
    ({'id': 'o1', 'name': 'glance'}, {'name': 'nova'}, 'glance'),
    # "unknown" (a host the catalog does not have) names no service.
    ({'id': 'target'}, {'name': 'unknown'}, 'audit'),
    ({'id': 'target'}, {}, 'audit'),
])
def test_an_audit_event_s_service_is_what_it_observes(observer, target,
                                                      service):
    row = _record({'priority': 'INFO', 'event_type': 'audit.http.response',
                   'publisher_id': 'uwsgi',
                   'payload': {'typeURI': 'x', 'observer': observer,
                               'target': dict(target, typeURI='unknown'),
                               'outcome': 'success'}}).row
    assert (row['service'], row['host']) == (service, 'uwsgi')


def test_a_deleted_volume_is_deleted_whatever_its_status_says():
    record = _record({
        'priority': 'INFO', 'event_type': 'volume.delete.end',
        'publisher_id': 'volume.stor-1@lvm',
        'payload': {'volume_id': 'v1', 'status': 'deleting'}})
    assert record.row['vm_state'] == 'deleted'
    assert record.row['task_state'] is None


def test_a_failed_login_is_a_failure_with_its_reason():
    record = _record({
        'priority': 'INFO', 'event_type': 'identity.authenticate',
        'publisher_id': 'identity.ks-1',
        'payload': {'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/'
                               'event',
                    'outcome': 'failure', 'action': 'authenticate',
                    'reason': {'reasonCode': '401',
                               'reasonType': 'HTTP'},
                    'initiator': {'id': 'u1'},
                    'target': {'id': 't', 'typeURI':
                               'service/security/account/user'}}})
    assert record.failure == '401'
    assert record.row['service'] == 'identity'
    assert record.row['resource_type'] == 'user'


def test_a_success_is_no_failure():
    record = _record({
        'priority': 'INFO', 'event_type': 'identity.authenticate',
        'publisher_id': 'identity.ks-1',
        'payload': {'typeURI': 'x', 'outcome': 'success'}})
    assert record.failure is None


@pytest.mark.parametrize('type_uri,service', [
    ('service/compute/servers/server', 'nova'),
    ('service/compute', 'nova'),
    ('service/storage/block/volumes', 'cinder'),
    ('service/storage/image/images', 'glance'),
    # A prefix must end at a segment; the catalog's name then.
    ('service/computer/x', 'from-catalog'),
    ('unknown', 'from-catalog'),
])
def test_an_audit_event_s_service_is_its_target_s_kind(type_uri, service):
    record = _record({
        'priority': 'INFO', 'event_type': 'audit.http.request',
        'publisher_id': 'uwsgi',
        'payload': {'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/'
                               'event',
                    'observer': {'id': 'target'},
                    'target': {'typeURI': type_uri, 'id': 'x',
                               'name': 'from-catalog'}}})
    assert record.row['service'] == service


def test_fallback_prefixes_must_map_a_path_and_names(tmp_path):
    path = _write(tmp_path, 'definitions:\n  - name: a\n'
                  '    event_types: [a.*]\n    service:\n'
                  '      fallback_prefixes: {path: $.t}\n')
    with pytest.raises(exception.InvalidDefinitions) as raised:
        definitions.load(path)
    assert raised.value.line == 5
    assert 'fallback_prefixes maps path' in raised.value.problem


@pytest.mark.parametrize('publisher_id,service,host', [
    # A host name whose first part is no publisher of ironic.
    ('conductor-1.example.com', 'ironic', 'conductor-1.example.com'),
    ('ironic-conductor.cond-1', 'ironic-conductor', 'cond-1'),
    (None, 'ironic', None),
])
def test_a_publisher_that_names_no_service(publisher_id, service, host):
    rules = definitions.load()
    record = _record({
        'priority': 'INFO', 'event_type': 'baremetal.node.update.end',
        'publisher_id': publisher_id,
        'payload': {'ironic_object.name': 'NodePayload',
                    'ironic_object.data': {'uuid': 'n1'}}}, rules)
    assert (record.row['service'], record.row['host']) == (service, host)


def test_a_versioned_payload_s_class_is_no_resource_type():
    record = _record({
        'priority': 'INFO', 'event_type': 'action_plan.cancel.end',
        'publisher_id': 'infra-optim:watcher-1',
        'payload': {'watcher_object.name': 'ActionPlanCancelPayload',
                    'watcher_object.data': {'uuid': 'ap-1'}}})
    assert record.row['resource_type'] == 'action_plan'
    assert record.row['resource_id'] == 'ap-1'


# -- an operator's service -----------------------------------------------

_WIDGETS = '''
definitions:
  - name: widgets
    event_types: [widget.*]
    resource_type: widget
    ids: [$.widget.uuid]
    project: [$.widget.owner]
    state:
      paths: [$.widget.phase]
      terminal: [ready, broken]
      deleted: [gone]
    service:
      publishers: [widget-api, widget-worker]
      fallback: widget
    operation:
      end: [end, done]
'''


def _widget(event_type, phase, at, publisher_id='widget-worker.w-1'):
    return {'priority': 'INFO', 'event_type': event_type,
            'publisher_id': publisher_id,
            'message_id': '%s-%s' % (event_type, phase),
            'timestamp': at.isoformat(),
            'payload': {'widget': {'uuid': 'wd-1', 'owner': 'p-9',
                                   'phase': phase}}}


def test_an_operator_adds_a_service_by_yaml_alone(tmp_path):
    path = _write(tmp_path, _WIDGETS)
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'w.sqlite'),
                          DEFAULT={'resource_definitions': path})
    database = db_api.Database(conf)
    migration.upgrade(database)
    try:
        pipeline = runner.Pipeline(conf, database, source='import')
        start = _NOW - datetime.timedelta(hours=2)
        pipeline.process([forms.to_envelope(
            _widget('widget.assemble.start', 'assembling', start))])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=_NOW)
        assert [(i['resource_id'], i['resource_type'], i['task_state'],
                 i['project_id'], i['last_step']['service'])
                for i in stuck] == [('wd-1', 'widget', 'assembling', 'p-9',
                                     'widget-worker')]
        pipeline.process([forms.to_envelope(_widget(
            'widget.assemble.done', 'ready',
            start + datetime.timedelta(minutes=5),
            publisher_id='uwsgi'))])
        with database.reader() as connection:
            assert lifecycles.list_stuck(connection, now=_NOW)[0] == []
            resource = lifecycles.get_resource(connection, 'wd-1', now=_NOW)
        assert (resource['vm_state'], resource['task_state'],
                resource['state_host']) == ('ready', None, 'uwsgi')
        # "uwsgi" is a host: the fallback names the service.
        with database.reader() as connection:
            services = connection.execute(sa.select(
                models.Notification.__table__.c.service).order_by(
                    models.Notification.__table__.c.generated_at)).scalars()
            assert list(services) == ['widget-worker', 'widget']
    finally:
        database.dispose()


def test_an_operator_definition_replaces_a_default_of_its_name(tmp_path):
    path = _write(tmp_path, '''
definitions:
  - name: cinder-volume
    event_types: [volume.*]
    resource_type: disk
    ids: [$.volume_id]
''')
    rules = definitions.load(path)
    record = _record({'priority': 'INFO', 'event_type': 'volume.create.end',
                      'publisher_id': 'volume.h',
                      'payload': {'volume_id': 'v1'}}, rules)
    assert record.row['resource_type'] == 'disk'
    assert [d.name for d in rules.definitions].count('cinder-volume') == 1


# -- stacktach-ng-manage definitions check -------------------------------


def test_check_prints_what_each_notification_would_produce(tmp_path,
                                                           capsys):
    path = _write(tmp_path, _WIDGETS)
    given = tmp_path / 'n.jsonl'
    given.write_text('\n'.join(json.dumps(m) for m in [
        _widget('widget.assemble.start', 'assembling', _NOW)]
        + loader.messages('ironic')[-1:]) + '\n')
    args = type('Args', (), {'definitions_command': 'check', 'file': path,
                             'notifications': [str(given)], 'stored': 0})
    assert command.check_definitions(None, args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert 'valid' in lines[0]
    found = [json.loads(line) for line in lines[1:]]
    assert [(f['definition'], f['service'], f['resource_type'],
             f['resource_id'], f['task_state']) for f in found] == [
        ('widgets', 'widget-worker', 'widget', 'wd-1', 'assembling'),
        ('ironic-node', 'ironic-conductor', 'node',
         '1be26c0b-03f2-4d2e-ae87-c02d7f33c123', 'deploying')]


def test_check_reports_a_bad_file_with_its_line(tmp_path, capsys):
    path = _write(tmp_path, 'definitions:\n  - name: x\n')
    args = type('Args', (), {'definitions_command': 'check', 'file': path,
                             'notifications': [], 'stored': 0})
    assert command.check_definitions(None, args) == 1
    assert '%s:2: ' % path in capsys.readouterr().err


def test_the_example_operator_file_is_valid():
    example = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                           'etc', 'stacktach-ng', 'resource_definitions.yaml')
    rules = definitions.load(example)
    assert rules.definitions[0].name == 'widgets'


def test_masakari_keys_a_notification_by_its_uuid():
    record = _record({
        'priority': 'INFO', 'event_type': 'notification.create.end',
        'publisher_id': 'masakari-api:ctl-1',
        'payload': {'masakari_object.name': 'NotificationApiPayload',
                    'masakari_object.data': {
                        'id': 1, 'notification_uuid': 'nu-1',
                        'status': 'new'}}})
    assert (record.row['resource_type'], record.row['resource_id'],
            record.row['task_state']) == ('notification', 'nu-1', 'new')


def test_an_operation_without_resource_or_request_is_not_paired():
    record = _record({'priority': 'INFO',
                      'event_type': 'segment.create.start',
                      'publisher_id': 'masakari-api:ctl-1',
                      'payload': {'masakari_object.name': 'SegmentApiPayload',
                                  'masakari_object.data': {'name': 's'}}})
    assert record.row['resource_id'] is None
    assert timings.endpoints_of(record.row, record.payload) == []
