"""keystonemiddleware's audit middleware (tests/fixtures/real/
keystonemiddleware.json): its audit.http.request and audit.http.response
events, what each becomes.

The middleware reports API calls, not resources: no state, and its
request/response pairs are no operations of the service called, so
nothing of it can be stuck. Its publisher id is the program's name
("uwsgi"), no service: the service is the one it observes, which it
gives as {"id": "target"}, the target's name ("nova"); the resource type
is the last part of the target's typeURI, and the resource the one the
request path names when that type says it names one
(service/compute/servers/server after /servers/<id>).
"""

import datetime

from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

# The server of the requests run through the middleware.
SERVER = '70d7943d-fc08-43ad-bda8-5da385138a06'

# Per message, in the file's order: (event type, service, resource type,
# id, failure reason or None).
EXPECTED = [
    # POST /v2/<project>/servers (202): target.typeURI
    # service/compute/servers, no one server.
    ('audit.http.request', 'nova', 'servers', None, None),
    ('audit.http.response', 'nova', 'servers', None, None),
    # GET /v2/<project>/servers/<id> (200): .../servers/server.
    ('audit.http.request', 'nova', 'server', SERVER, None),
    ('audit.http.response', 'nova', 'server', SERVER, None),
    # DELETE of the same server (204).
    ('audit.http.request', 'nova', 'server', SERVER, None),
    ('audit.http.response', 'nova', 'server', SERVER, None),
    # GET of it again: 404, outcome failure, reasonCode "404".
    ('audit.http.request', 'nova', 'server', SERVER, None),
    ('audit.http.response', 'nova', 'server', SERVER, '404'),
    # A host the service catalog does not have: the target is "unknown"
    # (typeURI, id and name), which names no service: the fallback.
    ('audit.http.request', 'audit', 'unknown', None, None),
    ('audit.http.response', 'audit', 'unknown', None, None),
    # pycadf's documented event of the middleware: GET .../servers, 200.
    ('audit.http.response', 'nova', 'servers', None, None),
]


def test_each_event():
    messages = loader.messages('keystonemiddleware')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for index, (message, expected) in enumerate(zip(messages, EXPECTED)):
        record = loader.record(message)
        row = record.row
        event_type, service, rtype, rid, failure = expected
        assert (row['service'], row['host'], row['resource_type'],
                row['resource_id'], row['vm_state'], row['task_state']) == (
            service, 'uwsgi', rtype, rid, None, None), index
        assert record.failure == failure, index


def test_who():
    rows = [loader.record(m).row
            for m in loader.messages('keystonemiddleware')]
    # The initiator: the middleware's tests' X-Project-Id and X-User-Id,
    # and pycadf's example's.
    assert {(r['project_id'], r['user_id']) for r in rows[:-1]} == {
        ('tenant_id', 'user_id')}
    assert (rows[-1]['project_id'], rows[-1]['user_id']) == (
        'e55b158759854ea6a7852aa76632c6c1',
        '95f12d248a234a969f456cd2c794f29a')


def test_the_services_are_services():
    for message in loader.messages('keystonemiddleware'):
        assert loader.record(message).row['service'] in ('nova', 'audit')


def test_lifecycle(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    with loader.pipeline(tmp_path) as (pipeline, database):
        for index, message in enumerate(
                loader.messages('keystonemiddleware')):
            pipeline.process([loader.at(
                message, start + datetime.timedelta(minutes=index))])
        with database.reader() as connection:
            resources, _more = lifecycles.list_resources(connection)
            failures = errors.error_events(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    # The one server the requests named; the service is none.
    assert [(r['resource_id'], r['resource_type'], r['vm_state'])
            for r in resources] == [(SERVER, 'server', None)]
    # The 404 is a failure of that server's request.
    assert [(f['event_type'], f['resource_id'], f['service'])
            for f in failures] == [('audit.http.response', SERVER, 'nova')]
    assert stuck == []
