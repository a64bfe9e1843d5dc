"""Barbican's audit events (tests/fixtures/real/barbican.json).

Barbican sends no notifications of its own: its API's audit events are
the CADF events of keystonemiddleware's audit middleware configured with
barbican's audit map (etc/barbican/api_audit_map.conf), one
``audit.http.request`` and one ``audit.http.response`` per call. The
file has the one event barbican documents (a secret create request),
then the events the middleware sent with barbican's map for a secret's
create, read, payload read, delete and a read once deleted (404). They
carry no state and have no start or end (the outcome is in the payload:
``pending`` in a request), so there is no stuck case; what matters is
that the secret is the resource and the service called is none.
"""

import datetime

from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The secret of the requests run through the middleware (the path's
# segment after "secrets").
SECRET = '2fa6825b-c7df-4822-9426-674371b42050'

# Per message, in the file's order: (event type, service, resource type,
# id, failure reason or None, project, user). The publisher id "uwsgi"
# is the host of every one (no service in it); the target's typeURI
# starts with service/security/keymanager, the key manager's kind in
# barbican's map (service_endpoints), barbican; the resource type is the
# typeURI's last segment. Barbican's map gives "secrets" no singular
# ("secrets="), so a request for one secret has the typeURI
# service/security/keymanager/secrets/ (a trailing "/"), whose id is the
# path's segment after "secrets".
DOC = ('8eabee0a4c4e40f882df8efbce695526',
       '513e8682f23446ceb598b6b0f5c4482b')
RUN = ('tenant_id', 'user_id')  # the X-Project-Id and X-User-Id sent
EXPECTED = [
    # The document's example: a create request, no secret id yet; the
    # target's id ("barbican") is the service, no resource.
    ('audit.http.request', 'barbican', 'secrets', None, None) + DOC,
    # POST /v1/secrets (201).
    ('audit.http.request', 'barbican', 'secrets', None, None) + RUN,
    ('audit.http.response', 'barbican', 'secrets', None, None) + RUN,
    # GET /v1/secrets/<id> (200).
    ('audit.http.request', 'barbican', 'secrets', SECRET, None) + RUN,
    ('audit.http.response', 'barbican', 'secrets', SECRET, None) + RUN,
    # GET /v1/secrets/<id>/payload (200): the same typeURI.
    ('audit.http.request', 'barbican', 'secrets', SECRET, None) + RUN,
    ('audit.http.response', 'barbican', 'secrets', SECRET, None) + RUN,
    # DELETE /v1/secrets/<id> (204).
    ('audit.http.request', 'barbican', 'secrets', SECRET, None) + RUN,
    ('audit.http.response', 'barbican', 'secrets', SECRET, None) + RUN,
    # GET of it again: 404, outcome failure, reasonCode "404".
    ('audit.http.request', 'barbican', 'secrets', SECRET, None) + RUN,
    ('audit.http.response', 'barbican', 'secrets', SECRET, '404') + RUN,
]


def test_each_event():
    messages = loader.messages('barbican')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for index, (message, expected) in enumerate(zip(messages, EXPECTED)):
        record = loader.record(message)
        row = record.row
        (_event_type, service, rtype, rid, failure, project,
         user) = expected
        assert (row['service'], row['host'], row['resource_type'],
                row['resource_id'], row['vm_state'], row['task_state'],
                row['project_id'], row['user_id']) == (
            service, 'uwsgi', rtype, rid, None, None, project, user), index
        assert record.failure == failure, index


def test_the_services_are_services():
    for message in loader.messages('barbican'):
        assert message['publisher_id'] == 'uwsgi'
        assert loader.record(message).row['service'] == 'barbican'


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


def test_lifecycle(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        pipeline.process([
            loader.at(message, start + datetime.timedelta(minutes=index))
            for index, message in enumerate(loader.messages('barbican'))])
        with database.reader() as connection:
            resources, _more = lifecycles.list_resources(connection)
            secret = lifecycles.get_resource(connection, SECRET,
                                             now=loader.NOW)
            failures = errors.error_events(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    # The one secret the requests named; the service is none. The
    # middleware says nothing of a deletion (a DELETE's outcome is the
    # call's, not the secret's): no state.
    assert [(r['resource_id'], r['resource_type'], r['vm_state'])
            for r in resources] == [(SECRET, 'secrets', None)]
    assert (secret['project_id'], secret['first_seen'],
            secret['last_seen']) == (
        'tenant_id', start + datetime.timedelta(minutes=3),
        start + datetime.timedelta(minutes=10))
    # The 404 is a failure of that secret's request.
    assert [(f['event_type'], f['resource_id'], f['service'])
            for f in failures] == [('audit.http.response', SECRET,
                                    'barbican')]
    assert stuck == []
