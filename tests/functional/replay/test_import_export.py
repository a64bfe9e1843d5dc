"""Import, export and purge on the real databases."""

import datetime
import gzip
import io
import json

import pytest
import sqlalchemy as sa

from stacktach_ng.cmd import manage
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.replay import exporter
from stacktach_ng.replay import importer
from stacktach_ng.retention import purge
from tests import base
from tests.unit.pipeline import fixtures as fx

NOTIFICATIONS = models.Notification.__table__
REJECTED = models.RejectedMessage.__table__


def _conf(migrated_conf):
    """The migrated database, with the notifications handler only: these
    tests are about the notifications rows."""
    return base.make_conf(migrated_conf.database.connection,
                          listener={'handlers': ['notifications']})


def _traffic():
    """Every producer in every form, each message with its own id and
    time, plus poison."""
    lines = []
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)
    index = 0
    for builder in fx.ALL_BUILDERS:
        for form in ('wire_v1', 'wire_v2', 'listener'):
            message = builder()
            message['message_id'] = 'msg-%03d' % index
            moment = start + datetime.timedelta(seconds=index, microseconds=7)
            message['timestamp'] = moment.isoformat(' ')
            lines.append(json.dumps(fx.as_form(message, form)))
            index += 1
        # and once without id or time (nova's sample form)
        lines.append(json.dumps(fx.as_form(builder(), 'sample')))
    lines.append('this line is not JSON')
    lines.append(json.dumps({'payload': {}, 'publisher_id': 'x.y'}))
    return '\n'.join(lines) + '\n', 3 * len(fx.ALL_BUILDERS)


def _import_text(conf, text, batch_size=7):
    database = db_api.Database(conf)
    try:
        job = importer.Importer(conf, database, batch_size=batch_size)
        return job.import_stream(io.BufferedReader(io.BytesIO(
            text.encode())))
    finally:
        database.dispose()


def _rows(conf, table=NOTIFICATIONS, order=NOTIFICATIONS.c.message_id):
    engine = sa.create_engine(conf.database.connection)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(
                sa.select(table).order_by(order))]
    finally:
        engine.dispose()


def _export(conf, **filters):
    database = db_api.Database(conf)
    out = io.StringIO()
    try:
        count = exporter.export(database, out, exporter.filters(**filters),
                                page_size=5)
    finally:
        database.dispose()
    return count, out.getvalue()


def test_import_counts_and_idempotence(migrated_conf):
    conf = _conf(migrated_conf)
    text, with_ids = _traffic()
    result = _import_text(conf, text)
    assert result.received == with_ids + len(fx.ALL_BUILDERS) + 2
    assert result.rejected == 2
    assert result.received == (result.stored + result.duplicates
                               + result.rejected)
    stored = _rows(conf)
    assert len(stored) == result.stored
    assert {'msg-000', 'msg-%03d' % (with_ids - 1)} <= {
        row['message_id'] for row in stored}
    rejected = _rows(conf, REJECTED, REJECTED.c.id)
    assert sorted(row['reason'].split(':')[0] for row in rejected) == [
        'missing or invalid event_type', 'not valid JSON']
    assert all(row['source'] == 'import' for row in rejected)

    # The sample-form messages carry no timestamp: dated at the import,
    # flagged, counted, and still one message each when imported again.
    assert result.undated == len(fx.ALL_BUILDERS)
    assert sum(row['timestamp_missing'] for row in stored) == result.undated
    assert result.conflicts == 0

    again = _import_text(conf, text, batch_size=1000)
    assert again.stored == 0
    assert again.duplicates == result.stored
    assert len(_rows(conf)) == len(stored)


@pytest.mark.parametrize('batch_size', [1, 1000])
def test_an_id_reused_with_other_content_is_kept(migrated_conf, second_conf,
                                                 batch_size):
    """Three messages under one id, two of them the same: the other is
    a conflict, stored under a derived id, whether the three come in one
    batch or in three; importing the file again stores nothing."""
    conf = _conf(migrated_conf)
    lines = []
    for memory_mb in (512, 1024, 512):
        message = fx.nova_legacy_update(memory_mb=memory_mb)
        message['message_id'] = 'reused'
        message['timestamp'] = '2026-01-02 03:04:05.000006'
        lines.append(json.dumps(fx.as_form(message, 'wire_v1')))
    text = '\n'.join(lines) + '\n'
    result = _import_text(conf, text, batch_size=batch_size)
    assert (result.stored, result.duplicates, result.conflicts) == (2, 1, 1)
    assert 'of which 1 reusing a stored message id' in importer.summary(
        result)
    rows = {row['message_id']: row for row in _rows(conf)}
    assert len(rows) == 2 and rows['reused']['conflict_of'] is None
    derived, = set(rows) - {'reused'}
    assert rows[derived]['conflict_of'] == 'reused'
    assert {json.loads(row['payload'])['memory_mb']
            for row in rows.values()} == {512, 1024}
    again = _import_text(conf, text, batch_size=batch_size)
    assert (again.stored, again.duplicates) == (0, 3)
    # An export keeps the conflict: imported elsewhere, the same rows.
    _count, exported = _export(conf)
    assert _import_text(second_conf, exported).stored == 2
    copied = {row['message_id']: row for row in _rows(second_conf)}
    assert {k: v['conflict_of'] for k, v in copied.items()} == {
        k: v['conflict_of'] for k, v in rows.items()}


def test_export_then_import_reproduces_the_rows(migrated_conf, second_conf):
    conf = _conf(migrated_conf)
    text, _ = _traffic()
    _import_text(conf, text)
    original = _rows(conf)
    count, exported = _export(conf)
    assert count == len(original)
    for line in exported.splitlines():
        body = json.loads(line)
        assert body['oslo.version'] == '2.0'
        inner = json.loads(body['oslo.message'])
        assert {'message_id', 'timestamp', 'priority', 'publisher_id',
                'event_type', 'payload'} <= set(inner)

    result = _import_text(second_conf, exported)
    assert result.stored == len(original)
    assert result.rejected == 0
    copied = _rows(second_conf)
    assert len(copied) == len(original)
    for before, after in zip(original, copied):
        for row in (before, after):
            row.pop('id')
            row.pop('received_at')
        assert after == before


def test_export_filters(migrated_conf):
    conf = _conf(migrated_conf)
    text, _ = _traffic()
    _import_text(conf, text)
    rows = _rows(conf)

    def ids(**filters):
        _, out = _export(conf, **filters)
        return sorted(json.loads(json.loads(line)['oslo.message'])[
            'message_id'] for line in out.splitlines())

    def expected(predicate):
        return sorted(row['message_id'] for row in rows if predicate(row))

    assert ids() == expected(lambda row: True)
    assert ids(event_type='compute.instance.*') == expected(
        lambda row: row['event_type'].startswith('compute.instance.'))
    assert ids(event_type='port.??????.end') == expected(
        lambda row: row['event_type'] in ('port.create.end',
                                          'port.delete.end'))
    assert ids(event_type='image.upload') == expected(
        lambda row: row['event_type'] == 'image.upload')
    # LIKE wildcards in the glob are literal
    assert ids(event_type='image_upload') == []
    assert ids(request_id=fx.NOVA_REQUEST) == expected(
        lambda row: fx.NOVA_REQUEST in (row['request_id'],
                                        row['global_request_id']))
    assert ids(resource_id=fx.PORT) == expected(
        lambda row: row['resource_id'] == fx.PORT)
    assert ids(project_id=fx.CALLER_PROJECT) == expected(
        lambda row: row['project_id'] == fx.CALLER_PROJECT)
    since = datetime.datetime(2026, 1, 2, 3, 4, 30)
    until = datetime.datetime(2026, 1, 2, 3, 5, 0)
    assert ids(since=since, until=until) == expected(
        lambda row: since <= row['generated_at'] < until)
    assert ids(since=since, until=until) != []


def _seed_for_purge(conf, now):
    database = db_api.Database(conf)
    try:
        with database.writer() as connection:
            rows = []
            for days in range(10):
                message = fx.glance_image_upload()
                message['message_id'] = 'old-%d' % days
                rows.append(fx.as_form(message, 'wire_v1'))
            job = importer.Importer(conf, database, batch_size=100)
        for days, body in enumerate(rows):
            body['timestamp'] = (now - datetime.timedelta(days=days)
                                 ).isoformat(' ')
        job.import_stream(io.BufferedReader(io.BytesIO(
            '\n'.join(json.dumps(b) for b in rows).encode())))
        with database.writer() as connection:
            connection.execute(REJECTED.insert(), [
                {'received_at': now - datetime.timedelta(days=days),
                 'source': 'test', 'reason': 'r', 'size': 1, 'excerpt': 'x'}
                for days in range(6)])
    finally:
        database.dispose()


def test_purge_in_batches(migrated_conf):
    conf = _conf(migrated_conf)
    now = datetime.datetime(2026, 3, 1, 12, 0, 0)
    _seed_for_purge(conf, now)
    database = db_api.Database(conf)
    try:
        dry = purge.run(conf, database, older_than=datetime.timedelta(
            days=3, hours=12), dry_run=True, now=now)
        assert dry[purge.NOTIFICATIONS].deleted == 6       # days 4..9
        assert dry[purge.REJECTED].deleted == 2            # days 4, 5
        assert len(_rows(conf)) == 10

        done = purge.run(conf, database, kinds=(purge.NOTIFICATIONS,),
                         older_than=datetime.timedelta(days=3, hours=12),
                         batch_size=4, now=now)
        assert set(done) == {purge.NOTIFICATIONS}
        assert done[purge.NOTIFICATIONS].deleted == 6
        assert done[purge.NOTIFICATIONS].batches == 2
        assert sorted(row['message_id'] for row in _rows(conf)) == [
            'old-0', 'old-1', 'old-2', 'old-3']
        assert len(_rows(conf, REJECTED, REJECTED.c.id)) == 6

        # defaults from [retention] max_age
        conf.set_override('max_age', {'rejected': '2d'}, group='retention')
        done = purge.run(conf, database, now=now)
        assert set(done) == {purge.REJECTED}
        assert done[purge.REJECTED].deleted == 3           # days 3, 4, 5
        assert len(_rows(conf)) == 4
    finally:
        database.dispose()


@pytest.mark.parametrize('text,expected', [
    ('30d', datetime.timedelta(days=30)), ('12h', datetime.timedelta(
        hours=12)), ('90m', datetime.timedelta(minutes=90)),
    ('2w', datetime.timedelta(weeks=2)), ('3600s', datetime.timedelta(
        seconds=3600)), (' 7D ', datetime.timedelta(days=7))])
def test_parse_age(text, expected):
    assert purge.parse_age(text) == expected


@pytest.mark.parametrize('text', ['30', 'd', '30x', '-1d', '1.5h', '',
                                  '10 days', '9' * 30 + 'w'])
def test_parse_age_errors(text):
    with pytest.raises(ValueError) as error:
        purge.parse_age(text)
    assert 'invalid age' in str(error.value)


# -- the command line ----------------------------------------------------

def _manage(tmp_path, url, *args):
    config = tmp_path / 'manage.conf'
    config.write_text('[database]\nconnection = %s\n[listener]\n'
                      'handlers = notifications\n' % url)
    return manage.main(['stacktach-ng-manage', '--config-file',
                        str(config)] + list(args))


@pytest.fixture
def sqlite_url(tmp_path):
    return 'sqlite:///%s' % (tmp_path / 'cli.sqlite')


def test_cli_refuses_a_database_not_migrated(tmp_path, sqlite_url, capsys):
    path = tmp_path / 'in.jsonl'
    path.write_text(_traffic()[0])
    assert _manage(tmp_path, sqlite_url, 'import', str(path)) == 1
    err = capsys.readouterr().err
    assert 'stacktach-ng-manage db upgrade' in err
    assert len(err.strip().splitlines()) == 1
    assert _manage(tmp_path, sqlite_url, 'export') == 1
    assert _manage(tmp_path, sqlite_url, 'purge', '--older-than',
                   '1d') == 1


def test_cli_import_export_purge(tmp_path, sqlite_url, capsys):
    assert _manage(tmp_path, sqlite_url, 'db', 'upgrade') == 0
    text, with_ids = _traffic()
    plain = tmp_path / 'plain.jsonl'
    plain.write_text(text)
    packed = tmp_path / 'packed.data'
    packed.write_bytes(gzip.compress(text.encode()))
    capsys.readouterr()

    assert _manage(tmp_path, sqlite_url, 'import', str(plain),
                   str(packed), '--batch-size', '10') == 0
    out = capsys.readouterr().out
    assert 'read %d,' % (2 * (with_ids + len(fx.ALL_BUILDERS) + 2)) in out
    assert 'rejected 4' in out and 'not valid JSON' in out

    assert _manage(tmp_path, sqlite_url, 'import',
                   str(tmp_path / 'absent.jsonl')) == 1
    err = capsys.readouterr().err
    assert 'no such file' in err and len(err.strip().splitlines()) == 1

    exported = tmp_path / 'out.jsonl'
    assert _manage(tmp_path, sqlite_url, 'export', '--event-type',
                   'instance.*', '--output', str(exported)) == 0
    lines = exported.read_text().splitlines()
    assert lines and all('"oslo.version":"2.0"' in line for line in lines)

    assert _manage(tmp_path, sqlite_url, 'purge', '--older-than', '1w',
                   '--dry-run') == 0
    assert 'notifications: would delete' in capsys.readouterr().out
    assert _manage(tmp_path, sqlite_url, 'purge', '--older-than',
                   '0s', '--kind', 'notifications') == 0
    out = capsys.readouterr().out
    assert 'notifications: deleted' in out
    assert 'rejected' not in out
    with pytest.raises(SystemExit) as error:
        _manage(tmp_path, sqlite_url, 'purge', '--older-than', '5x')
    assert error.value.code == 2
    assert 'invalid age' in capsys.readouterr().err
