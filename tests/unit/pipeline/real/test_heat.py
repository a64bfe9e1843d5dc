"""Heat's notifications as its own unit tests assert them
(tests/fixtures/real/heat.json): what each becomes, a stack's lifecycle,
and a stack left in CREATE_IN_PROGRESS is stuck.

The first three are today's tests (a mock stack in the made-up state
'x_f', stack_identity the stack's id, user_identity the user's id); the
other six the 2015 tests of a real stack created, suspended and deleted
(stack_identity an ARN ending in the stack's id, user_id the user's
name). See tests/fixtures/real/SOURCES for the run-time values filled in.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

MOCK_STACK = 'hay-are-en'
# The last segment of the ARN arn:openstack:heat::test_tenant:stacks/
# KHZDPWLQRA/<id>.
STACK = '8ae2bf8d-6d5f-4c5c-a8e8-2d2c1b3a6f41'
# Heat's own terminal statuses are COMPLETE and FAILED; a deleted stack
# is DELETE_COMPLETE.
DELETED = 'DELETE_COMPLETE'

# Per message, in the file's order: (event type, service, stack id,
# state, task state, user). The service is heat's publisher prefix
# ("orchestration.<host>", heat/engine/notification/__init__.py); the
# state is the payload's "state", a task state while IN_PROGRESS (and
# for the mock's 'x_f', which is no heat status); the user is
# user_identity when the payload has it, else nobody (the payload's
# user_id is the user's name, and these messages carry no context).
EXPECTED = [
    ('orchestration.stack.f.error', 'orchestration', MOCK_STACK, 'x_f',
     'x_f', 'test_user_id'),
    ('orchestration.autoscaling.the-end', 'orchestration', MOCK_STACK,
     'x_f', 'x_f', 'test_user_id'),
    ('orchestration.autoscaling.error', 'orchestration', MOCK_STACK,
     'x_f', 'x_f', 'test_user_id'),
    ('orchestration.stack.create.start', 'orchestration', STACK,
     'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', None),
    ('orchestration.stack.create.end', 'orchestration', STACK,
     'CREATE_COMPLETE', None, None),
    ('orchestration.stack.suspend.start', 'orchestration', STACK,
     'SUSPEND_IN_PROGRESS', 'SUSPEND_IN_PROGRESS', None),
    ('orchestration.stack.suspend.end', 'orchestration', STACK,
     'SUSPEND_COMPLETE', None, None),
    ('orchestration.stack.delete.start', 'orchestration', STACK,
     'DELETE_IN_PROGRESS', 'DELETE_IN_PROGRESS', None),
    ('orchestration.stack.delete.end', 'orchestration', STACK,
     'DELETE_COMPLETE', None, None),
]


def test_each_notification():
    messages = loader.messages('heat')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for message, expected in zip(messages, EXPECTED):
        row = loader.record(message).row
        event_type, service, rid, state, task, user = expected
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state'], row['task_state']) == (
            service, 'stack', rid, state, task), event_type
        assert (row['vm_state'] == DELETED) is (
            event_type == 'orchestration.stack.delete.end'), event_type
        assert row['user_id'] == user, event_type
        # tenant_id of the payload: the tests' contexts.
        assert row['project_id'] == (
            'test_tenant_id' if rid == MOCK_STACK else 'test_tenant')


def test_the_services_are_services():
    for message in loader.messages('heat'):
        assert loader.record(message).row['service'] == 'orchestration'


def _stack_messages():
    return [m for m in loader.messages('heat')
            if m['event_type'].startswith('orchestration.stack.')
            and m['event_type'] != 'orchestration.stack.f.error']


def test_lifecycle(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        for index, message in enumerate(_stack_messages()):
            pipeline.process([loader.at(
                message, start + datetime.timedelta(minutes=index))])
        with database.reader() as connection:
            stack = lifecycles.get_resource(connection, STACK,
                                            now=loader.NOW)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (stack['resource_type'], stack['vm_state'],
            stack['task_state']) == ('stack', DELETED, None)
    # Every state the stack went through, in order.
    assert [t['to'] for t in stack['transitions']
            if t['field'] == 'vm_state'] == [
        'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'SUSPEND_IN_PROGRESS',
        'SUSPEND_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']
    # Three operations, each ended a minute after it started.
    assert sorted((o['operation'], o['duration_us'])
                  for o in stack['operations']) == [
        ('orchestration.stack.create', 60000000),
        ('orchestration.stack.delete', 60000000),
        ('orchestration.stack.suspend', 60000000)]
    assert stuck == []


def test_a_stack_left_creating_is_stuck(tmp_path):
    by_type = loader.by_event_type('heat')
    with loader.pipeline(tmp_path) as (pipeline, database):
        start = loader.NOW - datetime.timedelta(hours=1)
        pipeline.process([loader.at(
            by_type['orchestration.stack.create.start'], start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (STACK, 'CREATE_IN_PROGRESS')]
        # The create ends: CREATE_COMPLETE is no longer stuck.
        pipeline.process([loader.at(
            by_type['orchestration.stack.create.end'],
            start + datetime.timedelta(minutes=5))])
        assert loader.stuck(database) == []
