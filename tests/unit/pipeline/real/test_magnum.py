"""Magnum's own documented notifications (tests/fixtures/real/magnum.json):
what each becomes; a cluster's lifecycle and a cluster left creating.

Magnum documents one example (a cluster create, and the same earlier as a
bay create); they carry no status. Magnum's events have no start or end:
the outcome (pending, success, failure) is in the CADF payload, and the
cluster's status in the target's attachment since magnum's change
"Add information about the cluster in event notifications". The
lifecycle and the stuck case therefore use the documented example with
the target magnum's ``conductor/utils.py`` (``_get_event_target``) builds
added: the event types and outcomes are those magnum's
``conductor/handlers/cluster_conductor.py`` and ``service/periodic.py``
send for a create and a delete.
"""

import copy
import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The documented target id (a generated pycadf id when the example was
# written: magnum's code now sets the cluster's uuid there).
TARGET = 'openstack:1c2fc591-facb-4479-a327-520dade1ea15'

# Per message: (service, resource type, id, state), read off the examples:
# the service is the publisher id's prefix ("magnum.host1234"), the type
# the event type's second part (a bay is what magnum later renamed
# cluster), the id the CADF target's (not the "resource_info" the example
# copies from keystone's documentation: magnum's code never sets it).
EXPECTED = {
    'magnum.cluster.created': ('magnum', 'cluster', TARGET, None),
    'magnum.bay.created': ('magnum', 'cluster', TARGET, None),
}


def test_each_documented_notification():
    messages = loader.messages('magnum')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        record = loader.record(message)
        row = record.row
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state']) == EXPECTED[message['event_type']], (
            message['event_type'])
        # The initiator's project and user (user_id, not the CADF id).
        assert (row['project_id'], row['user_id']) == (
            '3d4a50a9-2b59-438b-bf19-c231f9c7625a',
            '0156ee79-b35f-4cef-ac37-d4a85f231c69')
        # outcome "success": no failure.
        assert record.failure is None


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
