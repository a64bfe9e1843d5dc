"""Watcher's own notification samples (tests/fixtures/real/watcher.json):
what each becomes, an action plan's lifecycle to its deletion, and an
action left executing is stuck.

Watcher's samples reuse one message id for different notifications (every
action sample has the same): they go through the pipeline without it, as
messages without an id, so that none is taken for a redelivery of another.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

AUDIT = '4a97b9dd-2023-43dc-b713-815bdd94d4d6'
PLAN = '76be87bd-3422-43f9-93a0-e85a577e3061'
ACTION = '10a47dd1-4874-4298-91cf-eff046dbdb8d'
SERVICE = 'infra-optim'

# Per sample: (service, resource type, id, state, task state), read off the
# samples: the service is the publisher id's binary ("infra-optim:node0",
# "watcher-api:fake-mini"), the id the object's uuid, the state its
# "state" ("deleted" for a *.delete whatever it says), the task state the
# state when it is a step of an operation (see resource_definitions.yaml:
# an audit PENDING, a plan PENDING/ONGOING/CANCELLING, an action
# ONGOING/CANCELLING).
EXPECTED = {
    'audit.create': (SERVICE, 'audit', AUDIT, 'PENDING', 'PENDING'),
    # The update sample is of another audit.
    'audit.update': (SERVICE, 'audit',
                     'f1e0d912-afd9-4bf2-91ef-c99cd08cc1ef', 'ONGOING',
                     None),
    'audit.strategy.start': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.strategy.end': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.strategy.error': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.planner.start': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.planner.end': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.planner.error': (SERVICE, 'audit', AUDIT, 'ONGOING', None),
    'audit.delete': (SERVICE, 'audit', AUDIT, 'deleted', None),
    'action_plan.create': (SERVICE, 'action_plan', PLAN, 'RECOMMENDED',
                           None),
    'action_plan.update': (SERVICE, 'action_plan', PLAN, 'ONGOING',
                           'ONGOING'),
    'action_plan.execution.start': (SERVICE, 'action_plan', PLAN,
                                    'ONGOING', 'ONGOING'),
    # The sample of the end still says ONGOING.
    'action_plan.execution.end': (SERVICE, 'action_plan', PLAN, 'ONGOING',
                                  'ONGOING'),
    'action_plan.execution.error': (SERVICE, 'action_plan', PLAN,
                                    'ONGOING', 'ONGOING'),
    'action_plan.cancel.start': (SERVICE, 'action_plan', PLAN,
                                 'CANCELLING', 'CANCELLING'),
    'action_plan.cancel.end': (SERVICE, 'action_plan', PLAN, 'CANCELLED',
                               None),
    'action_plan.cancel.error': (SERVICE, 'action_plan', PLAN,
                                 'CANCELLING', 'CANCELLING'),
    'action_plan.delete': (SERVICE, 'action_plan', PLAN, 'deleted', None),
    'action.create': (SERVICE, 'action', ACTION, 'PENDING', None),
    'action.update': (SERVICE, 'action', ACTION, 'ONGOING', 'ONGOING'),
    'action.execution.start': (SERVICE, 'action', ACTION, 'ONGOING',
                               'ONGOING'),
    'action.execution.end': (SERVICE, 'action', ACTION, 'SUCCEEDED', None),
    'action.execution.error': (SERVICE, 'action', ACTION, 'FAILED', None),
    'action.cancel.start': (SERVICE, 'action', ACTION, 'CANCELLING',
                            'CANCELLING'),
    'action.cancel.end': (SERVICE, 'action', ACTION, 'CANCELLED', None),
    'action.cancel.error': (SERVICE, 'action', ACTION, 'FAILED', None),
    'action.delete': (SERVICE, 'action', ACTION, 'deleted', None),
    # A watcher service has no id: its "sevice_host" and name; its state
    # is the status update's.
    'service.update': (SERVICE, 'service', 'controller/watcher-service',
                       'FAILED', None),
    # An exception names no resource.
    'infra-optim.exception': ('watcher-api', None, None, None, None),
}

# The previous state the *.update samples report (state_update.old_state,
# status_update.old_state).
OLD_STATES = {'audit.update': 'PENDING', 'action_plan.update': 'PENDING',
              'action.update': 'PENDING', 'service.update': 'ACTIVE'}


def _without_id(message):
    message = dict(message)
    message.pop('message_id', None)
    return message


def test_each_sample():
    messages = loader.messages('watcher')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        event_type = message['event_type']
        row = loader.record(message).row
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state'], row['task_state']) == EXPECTED[event_type], (
            event_type)
        assert row['old_vm_state'] == OLD_STATES.get(event_type), event_type


def test_every_service_is_a_service_name():
    # /v1/services lists these: the binary, never the host.
    services = {loader.record(m).row['service']
                for m in loader.messages('watcher')}
    assert services == {'infra-optim', 'watcher-api'}


def test_an_action_plan_from_recommended_to_deleted(tmp_path):
    by_type = loader.by_event_type('watcher')
    start = loader.NOW - datetime.timedelta(hours=2)
    steps = ['action_plan.create', 'action_plan.update',
             'action_plan.execution.start', 'action_plan.execution.end',
             'action_plan.delete']
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(_without_id(by_type[event_type]),
                      start + datetime.timedelta(minutes=index))
            for index, event_type in enumerate(steps)])
        with database.reader() as connection:
            plan = lifecycles.get_resource(connection, PLAN, now=loader.NOW)
            resources, _more = lifecycles.list_resources(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
        assert (plan['resource_type'], plan['vm_state'],
                plan['task_state']) == ('action_plan', 'deleted', None)
        assert [t['to'] for t in plan['transitions']
                if t['field'] == 'vm_state'] == [
            'RECOMMENDED', 'ONGOING', 'deleted']
        # The execution, started at minute 2 and ended at minute 3.
        assert [(o['operation'], o['outcome'], o['duration_us'])
                for o in plan['operations']] == [
            ('action_plan.execution', 'success', 60 * 1000000)]
        assert [r['resource_id'] for r in resources] == [PLAN]
        assert stuck == []


def test_an_action_left_executing_is_stuck(tmp_path):
    by_type = loader.by_event_type('watcher')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            _without_id(by_type['action.execution.start']), start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (ACTION, 'ONGOING')]
        # It succeeds: no longer stuck.
        pipeline.process([loader.at(
            _without_id(by_type['action.execution.end']),
            start + datetime.timedelta(minutes=5))])
        assert loader.stuck(database) == []


def test_an_audit_pending_is_stuck_until_it_runs(tmp_path):
    # The decision engine never took it; a continuous audit stays ONGOING
    # between its runs, so ONGOING is no stuck state.
    by_type = loader.by_event_type('watcher')
    start = loader.NOW - datetime.timedelta(hours=1)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(_without_id(by_type['audit.create']),
                                    start)])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state']) for i in stuck] == [
            (AUDIT, 'PENDING')]
        # The decision engine takes it: ONGOING is no stuck state, but
        # its strategy run, started and never ended, is.
        pipeline.process([loader.at(
            _without_id(by_type['audit.strategy.start']),
            start + datetime.timedelta(minutes=1))])
        stuck = loader.stuck(database)
        assert [(i['resource_id'], i['task_state'],
                 i['operation']['operation']) for i in stuck] == [
            (AUDIT, None, 'audit.strategy')]
        pipeline.process([loader.at(
            _without_id(by_type['audit.strategy.end']),
            start + datetime.timedelta(minutes=2))])
        assert loader.stuck(database) == []
