"""Octavia's own notifications (tests/fixtures/real/octavia.json): what
each becomes, a load balancer's lifecycle, and why none is stuck.

Octavia publishes three event types, all ends of an operation
(``octavia.loadbalancer.{create,update,delete}.end``), sent once its
worker has marked the load balancer ACTIVE or deleted; the payload is the
load balancer as the request left it (the documented create.end says
``provisioning_status: PENDING_CREATE``). No message says that an
operation is under way, so no load balancer can be stuck: the stuck case
checks that the documented create.end is not taken for one.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The documented example's load balancer (payload.id) and project.
DOCUMENTED = '8d4c8f66-7ac1-408e-82d5-59f6fcdea9ee'
PROJECT = 'qs59p6z696cp9cho8ze96edddvpfyvgz'

# Per message, in the file's order: (event type, service, resource type,
# id, state, project). The publisher id is null (octavia's notifier has
# none), so the service is the definition's fallback; the id is the
# payload's id (the document) or loadbalancer_id (octavia's unit tests,
# whose ids are the integers 1, 2 and 3); the state is None but on a
# delete.end, as provisioning_status is not the load balancer's.
EXPECTED = [
    ('octavia.loadbalancer.create.end', 'octavia', 'loadbalancer',
     DOCUMENTED, None, PROJECT),
    ('octavia.loadbalancer.update.end', 'octavia', 'loadbalancer', '1',
     None, '1'),
    ('octavia.loadbalancer.create.end', 'octavia', 'loadbalancer', '2',
     None, '2'),
    ('octavia.loadbalancer.delete.end', 'octavia', 'loadbalancer', '3',
     'deleted', '3'),
]


def test_each_notification():
    messages = loader.messages('octavia')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for message, expected in zip(messages, EXPECTED):
        row = loader.record(message).row
        assert (row['event_type'], row['service'], row['resource_type'],
                row['resource_id'], row['vm_state'],
                row['project_id']) == expected
        # No task state: nothing an octavia message says is in progress.
        assert row['task_state'] is None
        assert row['host'] is None


def test_every_service_is_a_service():
    for message in loader.messages('octavia'):
        assert message['publisher_id'] is None
        assert loader.record(message).row['service'] == 'octavia'


def test_lifecycle(tmp_path):
    messages = loader.messages('octavia')
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(message, start + datetime.timedelta(minutes=i))
            for i, message in enumerate(messages)])
        with database.reader() as connection:
            created = lifecycles.get_resource(connection, DOCUMENTED)
            deleted = lifecycles.get_resource(connection, '3')
            resources, _more = lifecycles.list_resources(
                connection, resource_type='loadbalancer')
    assert (created['vm_state'], created['task_state'],
            created['project_id']) == (None, None, PROJECT)
    assert created['state_event_type'] is None
    assert deleted['vm_state'] == 'deleted'
    assert deleted['state_event_type'] == 'octavia.loadbalancer.delete.end'
    # Four messages, four load balancers, most recently seen first.
    assert [r['resource_id'] for r in resources] == [
        '3', '2', '1', DOCUMENTED]


def test_a_created_load_balancer_is_not_stuck(tmp_path):
    create_end = loader.messages('octavia')[0]
    assert create_end['payload']['provisioning_status'] == 'PENDING_CREATE'
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            create_end, loader.NOW - datetime.timedelta(hours=1))])
        with database.reader() as connection:
            assert lifecycles.list_stuck(connection, now=loader.NOW)[0] == []
