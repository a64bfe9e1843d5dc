"""Helpers of the usage functional tests: load notifications through the
real pipeline, run verification passes, read the usage tables."""

import sqlalchemy as sa

from stacktach_ng.db import api as db_api
from stacktach_ng.ingest import forms
from stacktach_ng.ingest import pipeline
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
