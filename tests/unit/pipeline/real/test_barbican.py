"""Barbican's own documented audit event (tests/fixtures/real/barbican.json).

Barbican sends no notifications of its own: its API's audit events are
the CADF events of keystonemiddleware's audit middleware, one
``audit.http.request`` and one ``audit.http.response`` per call, and its
documentation gives one (a secret create request). They carry no state
and have no start or end (the outcome is in the payload: ``pending`` in
a request), so there is no stuck case; what matters is that the service
called is no resource.
"""

import datetime

from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# Per message: (service, host, resource type, id, state), read off the
# document's example: the publisher id "uwsgi" is the host (no service in
# it) and its observer ({"id": "target"}) names no service, so the audit
# middleware definition's fallback names it; the resource type is the
# last segment of the target's typeURI
# (service/security/keymanager/secrets); a create request has no secret
# id yet, and the target's id ("barbican") is the service, no resource.
EXPECTED = {
    'audit.http.request': ('audit', 'uwsgi', 'secrets', None, None),
}


def test_each_documented_notification():
    messages = loader.messages('barbican')
    assert sorted(m['event_type'] for m in messages) == sorted(EXPECTED)
    for message in messages:
        record = loader.record(message)
        row = record.row
        assert (row['service'], row['host'], row['resource_type'],
                row['resource_id'], row['vm_state']) == EXPECTED[
            message['event_type']], message['event_type']
        # The initiator's project and user.
        assert (row['project_id'], row['user_id']) == (
            '8eabee0a4c4e40f882df8efbce695526',
            '513e8682f23446ceb598b6b0f5c4482b')
        # outcome "pending": no failure.
        assert record.failure is None


def test_the_service_called_is_no_resource(tmp_path):
    message = loader.messages('barbican')[0]
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([loader.at(
            message, loader.NOW - datetime.timedelta(hours=1))])
        with database.reader() as connection:
            resources, _more = lifecycles.list_resources(connection)
            assert lifecycles.get_resource(connection, 'barbican') is None
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    assert resources == []
    assert stuck == []
