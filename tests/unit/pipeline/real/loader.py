"""Reading the real notifications of ``tests/fixtures/real`` and running
them through the pipeline, for the per-project tests beside this module.

Each ``<project>.json`` there is a JSON list of messages as the project
itself published or documented them (see ``tests/fixtures/real/SOURCES``
for where each comes from). The tests assert, per message, what the
default resource definitions make of it (service, resource type and id,
state, deletion), and per project a lifecycle and a stuck case.
"""

import contextlib
import copy
import datetime
import json
import os

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import runner
from stacktach_ng.queries import lifecycles
from tests import base

DIRECTORY = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                         'fixtures', 'real')
# The time the tests pretend it is: messages are dated before it.
NOW = datetime.datetime(2026, 3, 1, 12, 0, 0)


def messages(project):
    """The messages of ``tests/fixtures/real/<project>.json``."""
    with open(os.path.join(DIRECTORY, project + '.json')) as f:
        return json.load(f)


def by_event_type(project):
    """``{event_type: message}``; the last message of a type wins."""
    return {m['event_type']: m for m in messages(project)}


def record(message, rules=None):
    """The normalized record of one message (default definitions unless
    ``rules``)."""
    return normalize.normalize(forms.to_envelope(message), NOW, None, rules)


def at(message, when):
    """``message`` dated ``when`` (a naive UTC datetime), as an
    envelope the pipeline takes."""
    message = copy.deepcopy(message)
    message['timestamp'] = when.isoformat()
    return forms.to_envelope(message)


def dated(messages, start, step=datetime.timedelta(minutes=1)):
    """``messages`` as envelopes, the first dated ``start``, each next
    one ``step`` later."""
    return [at(message, start + index * step)
            for index, message in enumerate(messages)]


def stuck(database):
    """The stuck resources of ``database`` at ``NOW`` (the first page)."""
    with database.reader() as connection:
        return lifecycles.list_stuck(connection, now=NOW)[0]


@contextlib.contextmanager
def pipeline(tmp_path):
    """``(pipeline, database)``: every default handler over a new SQLite
    database in ``tmp_path``."""
    conf = base.make_conf('sqlite:///%s' % (tmp_path / 'real.sqlite'))
    database = db_api.Database(conf)
    migration.upgrade(database)
    try:
        yield runner.Pipeline(conf, database, source='import'), database
    finally:
        database.dispose()
