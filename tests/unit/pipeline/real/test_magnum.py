"""Magnum's own notifications (tests/fixtures/real/magnum.json): what
each becomes; a cluster's lifecycle and a cluster left creating.

The file has the one example magnum documents (a cluster create, and the
same earlier as a bay create), without status, then the events magnum's
periodic task (``service/periodic.py`` sync_cluster_status, through
``conductor/utils.py`` notify_about_cluster_operation) sent in its own
unit tests when it found clusters' stacks complete, failed or gone: the
cluster's status is in the target's attachment. Magnum's events have no
start or end: the outcome (pending, success, failure) is in the CADF
payload. The last message is the pending create the conductor
(``conductor/handlers/cluster_conductor.py``) sent in its own test,
before magnum removed that test: a cluster left creating is stuck. The
stuck-then-deleted case uses the documented example with the target
magnum's ``_get_event_target`` builds added, as the conductor sends it
for a create and a delete.
"""

import copy
import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The documented target id (a generated pycadf id when the example was
# written: magnum's code now sets the cluster's uuid there).
TARGET = 'openstack:1c2fc591-facb-4479-a327-520dade1ea15'

# The clusters of magnum's periodic task's tests (target.id), named by
# the stack the test gave each (stack_id in the attachment).
STACK_11 = '9a305129-024d-41d6-843e-a21b226a0a50'
STACK_33 = 'd862f672-d879-4693-be8a-21b1f13efffe'
STACK_44 = 'cfa96901-b4b8-4c9c-93cb-cb137fca0bc0'
STACK_55 = '1dd03b2e-e9b5-43b4-9de7-25dcc6a27b21'
GONE_11 = 'e6d3b8c7-c531-47d5-a43f-51a88b72f474'
GONE_22 = '6100fc83-090b-47ca-8cff-e43e4ff3b483'
GONE_33 = 'd9738334-4c4e-4560-be4d-b330a5053666'
GONE_44 = '0f84d50a-b836-4132-aad8-c8aa9dcc1ff8'
GONE_55 = '08085ed9-3677-4514-a80d-dacf8d117208'
# The cluster of the conductor's test_create.
CREATING = 'fd2790d0-ef78-451f-b6cb-e396ce86042b'

# The documented example's initiator (project, user): its user_id, not
# its CADF id. The periodic task has no request: no initiator's project
# or user, the project is the cluster's ("fake_project", attachment
# content.project_id), the user none (the initiator's id is a generated
# pycadf id, no user).
DOCUMENTED = ('3d4a50a9-2b59-438b-bf19-c231f9c7625a',
              '0156ee79-b35f-4cef-ac37-d4a85f231c69')
PERIODIC = ('fake_project', None)

# Per message, in the file's order: (event type, host, id, state,
# failure reason, owner), read off the messages. The service is magnum
# throughout: the documented publisher id is "magnum.host1234", the
# code's "container-infra.fake-mini" (get_notifier's default service,
# magnum's service type; fake-mini the host of magnum's tests). The type
# is the event type's second part (a bay is what magnum later renamed
# cluster), the id the CADF target's (not the "resource_info" the
# documented example copies from keystone's documentation: magnum's code
# never sets it), the state the attachment's status; a failure's reason
# the attachment's status_reason (its CADF event has no reason).
EXPECTED = [
    ('magnum.cluster.created', 'host1234', TARGET, None, None,
     DOCUMENTED),
    ('magnum.bay.created', 'host1234', TARGET, None, None, DOCUMENTED),
    # test_sync_cluster_status_changes: stacks 11 and 33 complete, 44
    # gone while deleting, 55 rolled back.
    ('magnum.cluster.create', 'fake-mini', STACK_11, 'CREATE_COMPLETE',
     None, PERIODIC),
    ('magnum.cluster.update', 'fake-mini', STACK_33, 'UPDATE_COMPLETE',
     None, PERIODIC),
    ('magnum.cluster.delete', 'fake-mini', STACK_44, 'DELETE_COMPLETE',
     None, PERIODIC),
    ('magnum.cluster.update', 'fake-mini', STACK_55, 'ROLLBACK_COMPLETE',
     None, PERIODIC),
    # test_sync_cluster_status_stack_not_found: every stack gone; the
    # ones being created, updated or rolled back failed, the ones being
    # deleted are deleted.
    ('magnum.cluster.create', 'fake-mini', GONE_11, 'CREATE_FAILED',
     'Stack 11 not found', PERIODIC),
    ('magnum.cluster.delete', 'fake-mini', GONE_22, 'DELETE_COMPLETE',
     None, PERIODIC),
    ('magnum.cluster.update', 'fake-mini', GONE_33, 'UPDATE_FAILED',
     'Stack 33 not found', PERIODIC),
    ('magnum.cluster.delete', 'fake-mini', GONE_44, 'DELETE_COMPLETE',
     None, PERIODIC),
    ('magnum.cluster.update', 'fake-mini', GONE_55, 'ROLLBACK_FAILED',
     'Stack 55 not found', PERIODIC),
    # The conductor's create (cluster_conductor.py cluster_create, in its
    # test_create): outcome pending, the cluster CREATE_IN_PROGRESS,
    # the request's user and project in the initiator.
    ('magnum.cluster.create', 'fake-mini', CREATING, 'CREATE_IN_PROGRESS',
     None, ('fake_project', 'fake_user')),
]


def test_each_notification():
    messages = loader.messages('magnum')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for index, (message, expected) in enumerate(zip(messages, EXPECTED)):
        record = loader.record(message)
        row = record.row
        _event_type, host, rid, state, failure, owner = expected
        # A state that is not *_COMPLETE or *_FAILED is also the task
        # state (a cluster left in it is stuck).
        busy = state if state and state.endswith('_IN_PROGRESS') else None
        assert (row['service'], row['host'], row['resource_type'],
                row['resource_id'], row['vm_state'],
                row['task_state']) == (
            'magnum', host, 'cluster', rid, state, busy), index
        assert (row['project_id'], row['user_id']) == owner, index
        # A failure is sent at ERROR with outcome "failure".
        assert (message['priority'] == 'ERROR') == (failure is not None)
        assert record.failure == failure, index


def test_the_services_are_services():
    for message in loader.messages('magnum'):
        assert loader.record(message).row['service'] == 'magnum'


def test_lifecycle_of_the_periodic_task_s_clusters(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(message, start + datetime.timedelta(minutes=index))
            for index, message in enumerate(
                loader.messages('magnum')[:-1])])
        with database.reader() as connection:
            resources, _more = lifecycles.list_resources(
                connection, resource_type='cluster')
            failed = lifecycles.get_resource(connection, GONE_11,
                                             now=loader.NOW)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    # Ten clusters (the documented one twice), each in the state its last
    # event gave, most recently seen first.
    assert [(r['resource_id'], r['vm_state']) for r in resources] == [
        (e[2], e[3]) for e in reversed(EXPECTED[1:-1])]
    assert (failed['vm_state'], failed['task_state'],
            failed['state_event_type']) == ('CREATE_FAILED', None,
                                            'magnum.cluster.create')
    # No cluster is in a state that is not terminal.
    assert stuck == []


def test_the_conductor_s_create_left_alone_is_stuck(tmp_path):
    create = loader.messages('magnum')[-1]
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            create, loader.NOW - datetime.timedelta(hours=2))])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert [(i['resource_id'], i['task_state'], i['last_step']['host'])
            for i in stuck] == [(CREATING, 'CREATE_IN_PROGRESS',
                                 'fake-mini')]


def _cluster_event(action, outcome, status):
    """The documented example as magnum's code sends it for ``action``:
    event type magnum.cluster.<action>, the outcome, the target's
    attachment with the cluster's status; a failure at ERROR."""
    message = copy.deepcopy(loader.by_event_type('magnum')[
        'magnum.cluster.created'])
    del message['message_id']
    message['event_type'] = 'magnum.cluster.' + action
    message['payload']['action'] = action
    message['payload']['outcome'] = outcome
    message['payload']['target']['attachments'] = [{
        'typeURI': 'service/magnum/cluster', 'name': 'cluster_data',
        'content': {'status': status, 'status_reason': None}}]
    if outcome == 'failure':
        message['priority'] = 'ERROR'
    return message


def test_a_failed_create_is_a_failure():
    record = loader.record(_cluster_event('create', 'failure',
                                          'CREATE_FAILED'))
    assert (record.row['vm_state'], record.row['task_state']) == (
        'CREATE_FAILED', None)
    # CADF outcome failure, without a reason in magnum's payload.
    assert record.failure == ''


def test_a_cluster_left_creating_is_stuck_then_deleted(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            _cluster_event('create', 'pending', 'CREATE_IN_PROGRESS'),
            start)])
        with database.reader() as connection:
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (TARGET, 'CREATE_IN_PROGRESS')]
        pipeline.process([
            loader.at(_cluster_event('create', 'success', 'CREATE_COMPLETE'),
                      start + datetime.timedelta(minutes=10)),
            loader.at(_cluster_event('delete', 'pending',
                                     'DELETE_IN_PROGRESS'),
                      start + datetime.timedelta(minutes=20)),
            loader.at(_cluster_event('delete', 'success', 'DELETE_COMPLETE'),
                      start + datetime.timedelta(minutes=25))])
        with database.reader() as connection:
            assert lifecycles.list_stuck(connection, now=loader.NOW)[0] == []
            cluster = lifecycles.get_resource(connection, TARGET,
                                              now=loader.NOW)
            resources, _more = lifecycles.list_resources(connection)
        assert (cluster['resource_type'], cluster['vm_state'],
                cluster['task_state']) == ('cluster', 'DELETE_COMPLETE',
                                           None)
        assert [r['resource_id'] for r in resources] == [TARGET]
