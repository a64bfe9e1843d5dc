"""Helpers of the usage functional tests: load notifications through the
real pipeline, run verification passes, read the usage tables."""

import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.db import upsert
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.usage import store
from stacktach_ng.usage import verify


class UsageDB:
    def __init__(self, conf):
        self.conf = conf
        self.database = db_api.Database(conf)
        self.pipeline = pipeline.Pipeline(
            conf, self.database,
            handlers=pipeline.load_handlers(conf, ['notifications',
                                                   'usage']))

    def load(self, bodies, received_at=None):
        return self.pipeline.process(
            [forms.to_envelope(body) for body in bodies],
            received_at=received_at)

    def verifier(self, settle_delay=0, **options):
        self.conf.set_override('settle_delay', settle_delay,
                               group='verifier')
        for name, value in options.items():
            self.conf.set_override(name, value, group='verifier')
        return verify.Verifier(self.conf, self.database)

    def exists(self):
        """{message_id: (status, reason)} of every exists row."""
        with self.database.reader() as connection:
            return {row.message_id: (row.status, row.reason)
                    for row in connection.execute(sa.select(store.EXISTS))}

    def count(self, table):
        with self.database.reader() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(table)).scalar()

    def rows(self, table):
        with self.database.reader() as connection:
            return connection.execute(
                sa.select(table).order_by(table.c.id)).all()

    def close(self):
        self.database.dispose()


def seed_exists(database, count, received_at, prefix='i'):
    """Store ``count`` instances, each with a launch and an exists for
    2026-03-02 that agree (bulk inserts, for scale tests); return the
    instance ids."""
    import datetime

    launched = datetime.datetime(2026, 3, 1, 10)
    beginning = datetime.datetime(2026, 3, 2)
    ending = datetime.datetime(2026, 3, 3)
    ids = ['%s-%08d' % (prefix, n) for n in range(count)]
    common = {'project_id': 'project-1', 'user_id': 'user-1',
              'flavor_id': '2', 'flavor_name': 'm1.small',
              'instance_type_id': '12', 'vcpus': 1, 'memory_mb': 2048,
              'root_gb': 20, 'ephemeral_gb': 0, 'image_id': 'img-1'}
    with database.writer() as connection:
        for start in range(0, count, 5000):
            chunk = ids[start:start + 5000]
            upsert.insert_ignore(connection, store.LAUNCHES, [
                dict(common, instance_id=instance, launched_at=launched,
                     effective_at=launched, kind='create', evidence=0,
                     message_id='launch-' + instance,
                     generated_at=launched) for instance in chunk])
            upsert.insert_ignore(connection, store.EXISTS, [
                dict(common, message_id='exists-' + instance,
                     event_type='compute.instance.exists',
                     resource_type='instance', resource_id=instance,
                     launched_at=launched, deleted_at=None,
                     audit_period_beginning=beginning,
                     audit_period_ending=ending, size_bytes=None,
                     volume_type=None, generated_at=ending,
                     received_at=received_at, status='pending', reason=None,
                     detail=None, verified_at=None, attempts=0,
                     claimed_by=None, claimed_until=None, notified_at=None)
                for instance in chunk])
    return ids
