"""Trove's own notification (tests/fixtures/real/trove.json): what it
becomes, and why its instance is not stuck.

The one message is a trove.instance.modify_flavor, as trove's task
manager sent it (trove/common/notification.py TroveInstanceModifyFlavor)
in its own unit test BuiltInstanceTasksTest.test_resize_flavor. Trove's
other unit tests hand its notification code mocks (the instance, the
request, the context), so they give no other real message; trove's
hand-built messages of every kind stay in
tests/unit/pipeline/test_trove_manila.py.

trove.instance.* are no start/end pairs: each reports a finished action
with the instance's status (lower case) as its ``state``, a terminal one
whatever it is, so no instance is stuck after one.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The test's database instance (payload instance_id) and tenant.
INSTANCE = 'dbinst-id-1'
TENANT = 'testresize-tenant-id'


def test_each_notification():
    messages = loader.messages('trove')
    assert [m['event_type'] for m in messages] == [
        'trove.instance.modify_flavor']
    row = loader.record(messages[0]).row
    # The publisher id is trove's CONF.host alone, whose default is
    # "0.0.0.0" (trove/common/cfg.py): a host, no service, so the service
    # is the definition's fallback. The state is the payload's "state"
    # (the instance's status, "unknown" in the test); the user is none
    # (payload user_id null: the test's context has none).
    assert (row['service'], row['host'], row['resource_type'],
            row['resource_id'], row['vm_state'], row['task_state'],
            row['project_id'], row['user_id']) == (
        'trove', '0.0.0.0', 'trove_instance', INSTANCE, 'unknown', None,
        TENANT, None)


def test_the_services_are_services():
    for message in loader.messages('trove'):
        assert loader.record(message).row['service'] == 'trove'


def test_lifecycle_and_no_stuck_instance(tmp_path):
    message = loader.messages('trove')[0]
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            message, loader.NOW - datetime.timedelta(hours=3))])
        with database.reader() as connection:
            instance = lifecycles.get_resource(connection, INSTANCE,
                                               now=loader.NOW)
            resources, _more = lifecycles.list_resources(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert (instance['resource_type'], instance['vm_state'],
            instance['task_state'], instance['state_event_type'],
            instance['project_id']) == (
        'trove_instance', 'unknown', None, 'trove.instance.modify_flavor',
        TENANT)
    assert [r['resource_id'] for r in resources] == [INSTANCE]
    assert stuck == []
