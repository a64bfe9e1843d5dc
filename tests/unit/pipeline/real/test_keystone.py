"""Keystone's own documented notifications (tests/fixtures/real/
keystone.json, its event notifications document, CADF and basic forms):
what each becomes, and failed logins are failures.

Keystone's resources have no states and its notifications no start/end
pairs (one notification after the fact, none when an operation fails):
nothing of keystone can be stuck. What its lifecycle shows is the
resources it names and the failed authentications (CADF outcome
"failure"), which are no errors but are listed with them.
"""

import datetime

from stacktach_ng.queries import errors
from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

PROJECT = '671da331c47d4e29bb6ea1d270154ec3'
ADMIN = 'c9f76d3c31e142af9291de2935bde98a'
# role/project/group of the role assignment example.
ASSIGNMENT = ('0e6b990380154a2599ce6b6e91548a68/'
              '24bdcff1aab8474895dbaac509793de1/'
              'c1e22dc67cbd469ea0e33bf428fe597a')
EXPIRED_USER = '73a19db6-e26b-5313-a6df-58d297fa652e'
WRONG_PASSWORD_USER = 'd7bec06f41254509987354d0c0581cdc'

# Per message, in the document's order: (event type, resource type, id,
# failure reason or None). The service is always the publisher's prefix,
# "identity" ("identity.host1234"). A CADF create names its resource in
# resource_info; an authentication is about the user who authenticates,
# the initiator (keystone makes up a new target id for each one); a role
# assignment is its role and the two things it joins.
EXPECTED = [
    ('identity.project.created', 'project', PROJECT, None),
    # Success; the initiator has no user_id: its id.
    ('identity.authenticate', 'user', ADMIN, None),
    # Federated: the same initiator, with a SAML credential.
    ('identity.authenticate', 'user', ADMIN, None),
    ('identity.role_assignment.created', 'role_assignment', ASSIGNMENT,
     None),
    # Expired password: outcome failure, reason code 401.
    ('identity.authenticate', 'user', EXPIRED_USER, '401'),
    # Invalid password: outcome failure without a reason.
    ('identity.authenticate', 'user', WRONG_PASSWORD_USER, ''),
    # Basic form: {"resource_info": <id>} only.
    ('identity.user.created', 'user', PROJECT, None),
]


def test_each_documented_notification():
    messages = loader.messages('keystone')
    assert [m['event_type'] for m in messages] == [e[0] for e in EXPECTED]
    for message, expected in zip(messages, EXPECTED):
        record = loader.record(message)
        row = record.row
        event_type, rtype, rid, failure = expected
        assert (row['service'], row['resource_type'], row['resource_id'],
                row['vm_state'], row['task_state']) == (
            'identity', rtype, rid, None, None), event_type
        assert record.failure == failure, event_type


def test_who_and_which_request():
    messages = loader.messages('keystone')
    rows = [loader.record(m).row for m in messages]
    # The initiator is the user; the role assignment's project its owner.
    assert [r['user_id'] for r in rows] == [
        ADMIN, ADMIN, ADMIN, ADMIN, EXPIRED_USER, WRONG_PASSWORD_USER, None]
    assert rows[3]['project_id'] == '24bdcff1aab8474895dbaac509793de1'
    assert rows[5]['request_id'] == (
        'req-214d0f85-74a4-441b-85b5-c1159341d577')


def test_the_services_are_services():
    for message in loader.messages('keystone'):
        assert loader.record(message).row['service'] == 'identity'


def test_lifecycle_and_failed_logins(tmp_path):
    start = loader.NOW - datetime.timedelta(hours=2)
    messages = loader.messages('keystone')
    with loader.pipeline(tmp_path) as (pipeline, database):
        for index, message in enumerate(messages):
            pipeline.process([loader.at(
                message, start + datetime.timedelta(minutes=index))])
        with database.reader() as connection:
            resources, _more = lifecycles.list_resources(connection)
            failures = errors.error_events(connection)
            stuck, _more = lifecycles.list_stuck(connection, now=loader.NOW)
    found = {r['resource_id']: r['resource_type'] for r in resources}
    # The document reuses message ids: the federated authentication has
    # the first one's, the basic user.created the project.created's (and
    # its resource id). A message id seen again is not stored again, so
    # the id stays the project's.
    assert found == {PROJECT: 'project', ADMIN: 'user',
                     ASSIGNMENT: 'role_assignment', EXPIRED_USER: 'user',
                     WRONG_PASSWORD_USER: 'user'}
    assert [(f['event_type'], f['resource_id']) for f in failures] == [
        ('identity.authenticate', EXPIRED_USER),
        ('identity.authenticate', WRONG_PASSWORD_USER)]
    assert stuck == []
