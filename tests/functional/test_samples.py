"""Every real notification sample goes through import and the handlers.

The samples are OpenStack's own (nova's versioned samples, scrubbed
production captures, devstack captures of searchlight, designate's wire
messages, ceilometer's and keystone's examples). Each file must import
without a crash, every message in it must be stored or rejected with a
reason, a second import must store nothing, and no secret of the inputs may
reach a stored column.
"""

import datetime
import json
import os
import re

import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline.rejection import Rejected
from stacktach_ng.replay import importer
from tests.functional import services

NOTIFICATIONS = models.Notification.__table__
REJECTED = models.RejectedMessage.__table__

# Keys whose values are secrets in the samples (tokens, passwords).
_SECRET_KEY = re.compile(r'token|password|passwd|adminpass|secret|'
                         r'private_key', re.IGNORECASE)
# Values too short or too generic to be told apart from ordinary text.
_MIN_SECRET_LENGTH = 8


def sample_files(samples_dir):
    found = []
    for root, _, files in os.walk(samples_dir):
        for name in files:
            if name.endswith(('.json', '.jsonl')):
                found.append(os.path.join(root, name))
    return sorted(found)


def _documents(path):
    with open(path, encoding='utf-8') as stream:
        text = stream.read()
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines()
                if line.strip()]


def _values(value, key, secret, public):
    if isinstance(value, dict):
        for name, item in value.items():
            _values(item, name, secret, public)
    elif isinstance(value, list):
        for item in value:
            _values(item, key, secret, public)
    elif isinstance(value, str):
        if value[:1] in '{[':
            try:
                _values(json.loads(value), None, secret, public)
                return
            except ValueError:
                pass
        if key is not None and _SECRET_KEY.search(key):
            secret.add(value)
        else:
            public.add(value)


def secret_values(paths):
    """Values found under secret keys in the inputs, and nowhere else (a
    documentation example may reuse an id as a token)."""
    secret, public = set(), set()
    for path in paths:
        for document in _documents(path):
            _values(document, None, secret, public)
    return {value for value in secret - public
            if len(value) >= _MIN_SECRET_LENGTH and '[[[[' not in value}


def _import(conf, paths):
    database = db_api.Database(conf)
    try:
        job = importer.Importer(conf, database, batch_size=200)
        for path in paths:
            job.import_path(path)
        return job.result
    finally:
        database.dispose()


def _stored_texts(conf):
    engine = sa.create_engine(conf.database.connection)
    try:
        with engine.connect() as connection:
            texts = []
            for row in connection.execute(sa.select(
                    NOTIFICATIONS.c.payload, NOTIFICATIONS.c.context,
                    NOTIFICATIONS.c.request_id, NOTIFICATIONS.c.user_id)):
                texts.extend(value for value in row if value)
            for row in connection.execute(sa.select(
                    REJECTED.c.excerpt, REJECTED.c.reason)):
                texts.extend(value for value in row if value)
            count = connection.execute(sa.select(sa.func.count()).select_from(
                NOTIFICATIONS)).scalar_one()
            rejected = connection.execute(sa.select(
                REJECTED.c.reason)).scalars().all()
        return texts, count, rejected
    finally:
        engine.dispose()


def test_every_sample_imports(samples_dir, migrated_conf, database_url):
    """All samples through the default handlers, on every backend."""
    paths = sample_files(samples_dir)
    assert len(paths) > 400

    first = _import(migrated_conf, paths)
    assert first.received > 800
    assert first.received == (first.stored + first.duplicates
                              + first.rejected)
    texts, count, rejected = _stored_texts(migrated_conf)
    assert count == first.stored
    assert len(rejected) == first.rejected
    assert all(reason for reason in rejected)

    second = _import(migrated_conf, paths)
    assert second.received == first.received
    assert second.stored == 0
    assert second.rejected == first.rejected
    assert _stored_texts(migrated_conf)[1] == count

    secrets = secret_values(paths)
    assert len(secrets) > 20
    leaked = {secret for secret in secrets
              if any(secret in text for text in texts)}
    assert not leaked


def _nova_samples(samples_dir):
    directory = os.path.join(samples_dir, 'nova-resolved')
    if not os.path.isdir(directory):
        services.unavailable('The nova-resolved samples',
                             'no directory %s' % directory)
    return sample_files(directory)


def _payload_id(data):
    for key in ('uuid', 'instance_uuid', 'flavorid', 'volume_id', 'id',
                'name'):
        if data.get(key):
            return data[key]
    return None


def test_versioned_nova_samples(samples_dir):
    received = datetime.datetime(2026, 1, 1)
    checked = 0
    for path in _nova_samples(samples_dir):
        (message,) = _documents(path)
        with importer.open_source(path) as stream:
            envelope = next(importer.envelopes_of(stream))
        assert not isinstance(envelope, Rejected), path
        row = normalize.normalize(envelope, received).row
        payload = message['payload']
        assert row['object_name'] == payload['nova_object.name'], path
        assert row['object_version'] == payload['nova_object.version'], path
        assert row['service'] and row['host'], path
        data = payload['nova_object.data']
        expected = _payload_id(data)
        if expected is not None:
            assert row['resource_type'], path
            assert row['resource_id'], path
        if message['event_type'].startswith('instance.'):
            assert row['resource_type'] == 'instance', path
            assert row['resource_id'] == data['uuid'], path
            assert row['request_id'] == data['request_id'], path
            assert row['project_id'] == data['tenant_id'], path
            assert row['vm_state'] is not None, path
        checked += 1
    assert checked >= 140
