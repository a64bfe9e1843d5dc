"""Loading notifications through the real pipeline, and reading back
everything the analysis handlers derived."""

import datetime
import json
import re
import uuid

import sqlalchemy as sa

from stacktach_ng.analyses import rollups
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import runner as pipeline

ANALYSIS_TABLES = ('resources', 'operations', 'requests', 'profiler_spans',
                   'error_events', 'summary_counts', 'summary_rollups',
                   'operation_rollups', 'request_rollups',
                   'rollup_dirty_hours', 'open_work')
# What a batch stores before any analysis: emptied with the analyses to
# load the same notifications again (their ids are the duplicate check).
STORED_TABLES = ('notifications', 'notification_ids')


def empty(database, conf=None):
    """Empty what a load wrote, so that the same notifications can be
    loaded again: the tables of ``conf``'s handlers (every analysis table
    when no ``conf``) and the stored notifications with their ids."""
    with database.writer() as connection:
        if conf is None:
            for table in ANALYSIS_TABLES:
                connection.exec_driver_sql('DELETE FROM %s' % table)
        else:
            for handler in pipeline.load_handlers(conf):
                for table in getattr(handler, 'tables', ()):
                    connection.execute(table.delete())
        for table in STORED_TABLES:
            connection.exec_driver_sql('DELETE FROM %s' % table)

_PLACEHOLDER = re.compile(r'\[\[\[\[([A-Za-z_0-9]+)\]\]\]\]')
_NOTIGEN_BASE = datetime.datetime(2015, 1, 22, 20, 44, 51)
_NAMESPACE = uuid.UUID('6ba7b811-9dad-11d1-80b4-00c04fd430c8')


def load(conf, bodies, batch_size=100, roll=True):
    """Store wire bodies through the pipeline in batches, then roll up
    the hours they marked, as ``import`` does (unless ``roll`` is false);
    return the Database (caller disposes)."""
    database = db_api.Database(conf)
    pipe = pipeline.Pipeline(conf, database, source='import')
    for start in range(0, len(bodies), batch_size):
        pipe.process([forms.to_envelope(body)
                      for body in bodies[start:start + batch_size]])
    if roll and 'rollups' in [handler.name for handler in pipe.handlers]:
        rollups.roll(database)
    return database


# What the usage handler derives at ingest (the audit periods and the
# missing records are the verifier's).
USAGE_TABLES = ('usage_launches', 'usage_deletes', 'usage_exists',
                'usage_storage')

# Columns that say when a row was written, not what it says.
_WRITE_TIMES = frozenset(('received_at',))


def snapshot(database, tables=ANALYSIS_TABLES):
    """Every derived row, without surrogate ids, in a stable order."""
    with database.reader() as connection:
        return snapshot_of(connection, tables)


def snapshot_of(connection, tables):
    out = {}
    for name in tables:
        table = models.Base.metadata.tables[name]
        columns = [c for c in table.c
                   if c.name != 'id' and c.name not in _WRITE_TIMES]
        rows = connection.execute(sa.select(*columns)).all()
        out[name] = sorted(
            (tuple(_plain(v) for v in row) for row in rows),
            key=lambda r: tuple('' if v is None else str(v) for v in r))
    return out


def _plain(value):
    # Booleans come back as 0/1 from SQLite and MySQL.
    if isinstance(value, bool):
        return int(value)
    return value


def render_notigen(path, publisher='compute.compute-0042'):
    """The wire messages of a stacktach-notigen template, placeholders
    replaced: UUIDs by uuid5 values, times from the template's time map
    (days, seconds, microseconds after 2015-01-22 20:44:51), the rest by
    fixed names."""
    with open(path) as stream:
        document = json.load(stream)
    head, messages = document[0], document[1:]
    time_map = head.get('time_map', {})

    def value_of(name):
        token = '[[[[%s]]]]' % name
        if token in time_map:
            days, seconds, micros = time_map[token]
            moment = _NOTIGEN_BASE + datetime.timedelta(
                days=days, seconds=seconds, microseconds=micros)
            return moment.strftime('%Y-%m-%d %H:%M:%S.%f')
        if name.startswith(('UUID_', 'XUUID_')):
            value = str(uuid.uuid5(_NAMESPACE, path.rsplit('/', 1)[-1]
                                   + name.split('_', 1)[1]))
            return value.replace('-', '') if name.startswith('X') else value
        if name.startswith('V4_'):
            return '192.0.2.%d' % (int(name[3:]) + 1)
        if name.startswith('V6_'):
            return '2001:db8::%d' % (int(name[3:]) + 1)
        if name == 'publisher_id':
            return publisher
        if name in ('host', 'node'):
            return publisher.split('.', 1)[1]
        return 'notigen-%s' % name

    text = _PLACEHOLDER.sub(lambda m: value_of(m.group(1)),
                            json.dumps(messages))
    rendered = json.loads(text)
    for message in rendered:
        if message['event_type'].startswith('scheduler.'):
            message['publisher_id'] = 'scheduler.scheduler-01'
    return rendered
