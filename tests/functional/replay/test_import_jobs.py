"""``stacktach-ng-manage import --jobs N`` against one job, on the real
databases: the same file set into two fresh databases, once with one job
and once with two, must store the same rows in every table."""

import json
import re

import pytest
import sqlalchemy as sa

from stacktach_ng.cmd import manage
from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration
from stacktach_ng.db import models
from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks
from tests import base
from tests.functional import services
from tests.functional.replay.conftest import backend_of
from tests.unit.pipeline import fixtures as fx

SIMULATED = 3000
REPEATED = 400
BATCH_SIZE = 250
# Columns that differ between any two imports of one file, even both with
# one job: the surrogate ids (numbered in the order rows are inserted) and
# the moment a notification was read.
_ORDER_OR_TIME = ('received_at',)

_SUMMARY = re.compile(r'Imported 2 file\(s\) in [0-9.]+ s: (.*)$', re.M)


def _simulate(path, count):
    sink = sinks.FileSink(str(path), form='wire-v2')
    try:
        for body in engine.Simulator(seed=7, fmt='mixed').messages(
                count=count):
            sink.publish(body)
    finally:
        sink.close()


@pytest.fixture
def file_set(tmp_path):
    """Two files: simulated traffic of every service (lifecycles, errors,
    usage), then a file that repeats its first lines, so that duplicates
    meet stored rows of parts another job stored, and holds two lines that
    are no notification."""
    first = tmp_path / 'traffic.jsonl'
    _simulate(first, SIMULATED)
    lines = first.read_text().splitlines(keepends=True)
    second = tmp_path / 'again.jsonl'
    second.write_text('this line is not JSON\n' + ''.join(lines[:REPEATED])
                      + json.dumps({'payload': {}, 'publisher_id': 'x.y'})
                      + '\n')
    return [str(first), str(second)]


@pytest.fixture
def two_databases(database_url, tmp_path):
    """``database_url`` and a second empty database on its backend, both
    migrated."""
    second = services.TestDatabase(backend_of(database_url),
                                   tmp_path / 'second')
    (tmp_path / 'second').mkdir()
    urls = [database_url, second.create()]
    for url in urls:
        database = db_api.Database(_conf(url))
        migration.upgrade(database)
        database.dispose()
    yield urls
    second.drop()


def _conf(url):
    return base.make_conf(url)


def _import(tmp_path, url, files, jobs, capsys):
    config = tmp_path / ('jobs-%d.conf' % jobs)
    # Every default handler: the derived tables are the point.
    config.write_text('[database]\nconnection = %s\n' % url)
    capsys.readouterr()
    code = manage.main(['stacktach-ng-manage', '--config-file', str(config),
                        'import', '--jobs', str(jobs), '--batch-size',
                        str(BATCH_SIZE)] + files)
    out, err = capsys.readouterr()
    assert code == 0, err
    summary, = _SUMMARY.findall(out)
    return summary


def _tables(url):
    """Every table's rows, without the columns of ``_ORDER_OR_TIME`` and
    the autoincrement ids, as sorted lists of tuples."""
    engine_ = sa.create_engine(url)
    tables = {}
    try:
        with engine_.connect() as connection:
            for table in models.Base.metadata.sorted_tables:
                columns = [column for column in table.columns
                           if column.name not in _ORDER_OR_TIME
                           and not (column.primary_key
                                    and column.autoincrement is True)]
                rows = connection.execute(sa.select(*columns)).all()
                tables[table.name] = sorted(
                    (tuple(row) for row in rows), key=repr)
    finally:
        engine_.dispose()
    return tables


def test_two_jobs_store_what_one_job_stores(two_databases, file_set,
                                            tmp_path, capsys):
    one_url, two_url = two_databases
    one = _import(tmp_path, one_url, file_set, 1, capsys)
    two = _import(tmp_path, two_url, file_set, 2, capsys)

    # The counts, derived from how the files were made: every simulated
    # message once, its first lines again as duplicates, two rejected.
    expected = 'read %d, stored %d, duplicates %d, rejected 2' % (
        SIMULATED + REPEATED + 2, SIMULATED, REPEATED)
    assert one.startswith(expected), one
    assert two == one

    one_tables = _tables(one_url)
    two_tables = _tables(two_url)
    assert set(two_tables) == set(one_tables)
    assert len(one_tables['notifications']) == SIMULATED
    for name, rows in one_tables.items():
        assert two_tables[name] == rows, name
    # The derived tables were filled, so the comparison compared rows.
    filled = {name for name, rows in one_tables.items() if rows}
    assert {'notifications', 'rejected_messages'} < filled
    assert len(filled) > 5, filled


def test_an_id_reused_across_jobs_is_counted_as_by_one_job(
        two_databases, tmp_path, capsys):
    """Two messages under one id with other content, in parts that two
    jobs store: both are kept, one of them as the conflict, as one job
    keeps them. (Which of the two keeps the id is the first stored: in
    file order with one job, in the order the jobs commit with more.)"""
    lines = []
    for memory_mb in (512, 1024):
        message = fx.nova_legacy_update(memory_mb=memory_mb)
        message['message_id'] = 'reused'
        message['timestamp'] = '2026-01-02 03:04:05.000006'
        lines.append(json.dumps(fx.as_form(message, 'wire_v1')) + '\n')
    path = tmp_path / 'reused.jsonl'
    # Batches of one line: the two messages are two parts.
    path.write_text(''.join(lines))
    for url, jobs in zip(two_databases, (1, 2)):
        config = tmp_path / ('reused-%d.conf' % jobs)
        config.write_text('[database]\nconnection = %s\n' % url)
        capsys.readouterr()
        assert manage.main(['stacktach-ng-manage', '--config-file',
                            str(config), 'import', '--jobs', str(jobs),
                            '--batch-size', '1', str(path)]) == 0
        assert ('read 2, stored 2, duplicates 0, rejected 0 (of which 1 '
                'reusing a stored message id with other content)'
                in capsys.readouterr().out)
    for url in two_databases:
        engine_ = sa.create_engine(url)
        try:
            with engine_.connect() as connection:
                rows = connection.execute(sa.select(
                    models.Notification.__table__.c.message_id,
                    models.Notification.__table__.c.conflict_of)).all()
        finally:
            engine_.dispose()
        assert sorted(conflict_of or '' for _id, conflict_of in rows) == [
            '', 'reused']
        assert 'reused' in {message_id for message_id, _c in rows}


def test_an_error_in_a_job_stops_the_import_without_a_summary(
        tmp_path, capsys):
    """A notification that the database refuses (a trigger, standing for
    any database error) fails its batch in whichever job stores it: the
    command says so on one line and exits with 1, and prints no summary,
    which would count only part of the files."""
    url = 'sqlite:///%s' % (tmp_path / 'refusing.sqlite')
    database = db_api.Database(_conf(url))
    migration.upgrade(database)
    database.dispose()
    engine_ = sa.create_engine(url)
    try:
        with engine_.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON notifications "
                "WHEN NEW.message_id = 'refused' BEGIN "
                "SELECT RAISE(ABORT, 'refused by the test trigger'); END")
    finally:
        engine_.dispose()
    lines = []
    for index in range(60):
        message = fx.nova_legacy_update()
        message['message_id'] = 'refused' if index == 45 else 'm-%d' % index
        lines.append(json.dumps(fx.as_form(message, 'wire_v2')) + '\n')
    path = tmp_path / 'refused.jsonl'
    path.write_text(''.join(lines))
    config = tmp_path / 'refusing.conf'
    config.write_text('[database]\nconnection = %s\n[listener]\n'
                      'handlers = notifications\n' % url)
    capsys.readouterr()
    code = manage.main(['stacktach-ng-manage', '--config-file', str(config),
                        'import', '--jobs', '2', '--batch-size', '5',
                        str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert 'Imported' not in out
    errors = [line for line in err.splitlines()
              if line.startswith('stacktach-ng-manage import: ')]
    assert len(errors) == 1, err
    assert 'database error' in errors[0]
    assert 'refused by the test trigger' in errors[0]
