"""Reading files of notifications: every layout, detected by content."""

import datetime
import gzip
import json

import pytest
import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc

from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import runner as pipeline
from stacktach_ng.pipeline.rejection import Rejected
from stacktach_ng.replay import importer
from tests.unit.pipeline import fixtures as fx


def _messages(count=3, form='wire_v2'):
    out = []
    for index in range(count):
        message = fx.nova_legacy_update()
        message['message_id'] = 'm-%d' % index
        out.append(fx.as_form(message, form))
    return out


def _read(tmp_path, content, name='input.data'):
    path = tmp_path / name
    path.write_bytes(content)
    with importer.open_source(str(path)) as stream:
        return list(importer.envelopes_of(stream))


def _ids(items):
    return [item['metadata']['message_id'] for item in items
            if not isinstance(item, Rejected)]


def _json_lines(messages):
    return ''.join(json.dumps(m) + '\n' for m in messages).encode()


LAYOUTS = {
    'json lines': lambda ms: _json_lines(ms),
    'json lines, blank lines and CRLF': lambda ms: b'\r\n\r\n'.join(
        json.dumps(m).encode() for m in ms) + b'\r\n',
    'array': lambda ms: json.dumps(ms).encode(),
    'pretty array': lambda ms: json.dumps(ms, indent=2).encode(),
    'mapping of names': lambda ms: json.dumps(
        {'test %d' % i: m for i, m in enumerate(ms)}, indent=1).encode(),
    'step wrappers': lambda ms: json.dumps(
        [{'step': i, 'notification': m} for i, m in enumerate(ms)],
        indent=1).encode(),
    'one array per line': lambda ms: (json.dumps(ms[:1]) + '\n'
                                      + json.dumps(ms[1:]) + '\n').encode(),
}


@pytest.mark.parametrize('form', ('wire_v1', 'wire_v2', 'listener',
                                  'sample'))
@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_layouts_and_forms(tmp_path, layout, form):
    messages = _messages(3, form)
    items = _read(tmp_path, LAYOUTS[layout](messages))
    assert not [i for i in items if isinstance(i, Rejected)]
    assert len(items) == 3
    assert all(i['event_type'] == 'compute.instance.update' for i in items)
    if form != 'sample':
        assert _ids(items) == ['m-0', 'm-1', 'm-2']


@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_gzip_detected_by_content(tmp_path, layout):
    content = LAYOUTS[layout](_messages(3))
    items = _read(tmp_path, gzip.compress(content), name='plain-name.json')
    assert _ids(items) == ['m-0', 'm-1', 'm-2']
    # and a plain file named .gz is read as plain
    items = _read(tmp_path, content, name='not-really.gz')
    assert _ids(items) == ['m-0', 'm-1', 'm-2']


def test_single_object(tmp_path):
    message = _messages(1, 'wire_v1')[0]
    assert _ids(_read(tmp_path, json.dumps(message, indent=2).encode())) == [
        'm-0']
    assert _ids(_read(tmp_path, json.dumps(message).encode())) == ['m-0']


def test_bad_lines_are_rejected_not_fatal(tmp_path):
    good = _messages(2)
    content = (json.dumps(good[0]) + '\n{"truncated": \nnot json at all\n'
               + json.dumps(good[1]) + '\n42\n').encode()
    items = _read(tmp_path, content)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert _ids(items) == ['m-0', 'm-1']
    reasons = sorted(r.reason.split(':')[0] for r in rejected)
    assert reasons == ['message is not a JSON object', 'not valid JSON',
                       'not valid JSON']


def test_bad_first_line_does_not_reject_the_file(tmp_path):
    good = _messages(2)
    content = ('garbage\n' + ''.join(json.dumps(m) + '\n'
                                     for m in good)).encode()
    items = _read(tmp_path, content)
    assert _ids(items) == ['m-0', 'm-1']
    assert len([i for i in items if isinstance(i, Rejected)]) == 1


@pytest.mark.parametrize('content', [b'', b'\n\n  \n'])
def test_empty_files(tmp_path, content):
    assert _read(tmp_path, content) == []


def test_values_that_are_no_notification(tmp_path):
    content = json.dumps([{'uuid': 4, 'time_map': {}}, 'text', None,
                          {'step': 1}]).encode()
    items = _read(tmp_path, content)
    assert len(items) == 4
    for item in items:
        if not isinstance(item, Rejected):
            with pytest.raises(Rejected):
                normalize.normalize(item, datetime.datetime(2026, 1, 1))


def test_broken_gzip_is_a_source_error(tmp_path):
    path = tmp_path / 'broken'
    path.write_bytes(gzip.compress(_json_lines(_messages(50)))[:60])

    class Sink:
        def process(self, batch):
            return pipeline.BatchResult(received=len(batch))

    job = importer.Importer(None, None, batch_size=10, pipeline=Sink())
    with pytest.raises(importer.SourceError) as error:
        job.import_path(str(path))
    assert str(path) in str(error.value)


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(importer.SourceError) as error:
        importer.open_source(str(tmp_path / 'absent.json'))
    assert 'absent.json' in str(error.value)


def test_batches_are_bounded(tmp_path):
    path = tmp_path / 'many.jsonl'
    path.write_bytes(_json_lines(_messages(25)))
    sizes = []

    class Sink:
        def process(self, batch):
            sizes.append(len(batch))
            return pipeline.BatchResult(received=len(batch),
                                        stored=len(batch))

    seen = []
    job = importer.Importer(None, None, batch_size=10, pipeline=Sink(),
                            progress=lambda result: seen.append(
                                result.received))
    result = job.import_path(str(path))
    assert sizes == [10, 10, 5]
    assert seen == [10, 20, 25]
    assert result.received == result.stored == 25


def test_summary_names_top_reasons():
    result = pipeline.BatchResult(received=10, stored=5, duplicates=2,
                                  rejected=3,
                                  reasons={'not valid JSON: x': 2,
                                           'missing event_type': 1})
    line = importer.summary(result)
    assert line.startswith('read 10, stored 5, duplicates 2, rejected 3')
    assert line.index('not valid JSON') < line.index('missing event_type')


class _StatisticsDatabase:
    def __init__(self):
        self.refreshed = 0

    def refresh_statistics(self):
        self.refreshed += 1
        return True


class _CatchingUp:
    def __init__(self):
        self.databases = []

    def catch_up(self, database):
        self.databases.append(database)


class _StatisticsPipeline:
    def __init__(self):
        self.database = _StatisticsDatabase()
        self.handlers = [_CatchingUp(), _CatchingUp()]


def test_import_refreshes_statistics_only_after_a_big_load():
    job = importer.Importer(None, None, pipeline=_StatisticsPipeline())
    job.result.stored = importer.REFRESH_STATISTICS_AFTER - 1
    assert not job.finish()
    job.result.stored = importer.REFRESH_STATISTICS_AFTER
    assert job.finish()
    assert job.pipeline.database.refreshed == 1
    # Every handler caught up after each import, small or big.
    for handler in job.pipeline.handlers:
        assert handler.databases == [job.pipeline.database] * 2


@pytest.mark.parametrize('number', (2 ** 70, -(2 ** 64) - 1,
                                    18446744073709551615))
def test_integers_beyond_64_bits_stay_exact_inside_wire_v2(tmp_path,
                                                           number):
    # The line's digit check stands for the inner message too: an inner
    # big integer must still make the exact parser run.
    message = fx.nova_legacy_update()
    message['payload']['big'] = number
    items = _read(tmp_path, _json_lines([fx.as_form(message, 'wire_v2')]))
    assert items[0]['payload']['big'] == number
    assert type(items[0]['payload']['big']) is int


def test_inner_message_that_is_no_json_is_rejected_with_its_reason(
        tmp_path):
    line = json.dumps({'oslo.version': '2.0', 'oslo.message': '{"x'})
    items = _read(tmp_path, line.encode() + b'\n')
    assert isinstance(items[0], Rejected)
    assert items[0].reason.startswith('oslo.message is not valid JSON')


def test_context_keys_of_wire_bodies(tmp_path):
    message = fx.nova_legacy_update()
    body = fx.as_form(message, 'wire_v1')
    body['_context_'] = 'empty name'
    body['_context_request_id'] = 'req-1'
    body['context_not_prefixed'] = 'no'
    items = _read(tmp_path, _json_lines([body, body]))
    for item in items:
        assert item['ctxt']['request_id'] == 'req-1'
        assert item['ctxt'][''] == 'empty name'
        assert 'context_not_prefixed' not in item['ctxt']
        assert 'not_prefixed' not in item['ctxt']


class _LockedPipeline:
    """Fails its first ``failures`` batches with ``error``, then stores."""

    def __init__(self, failures, error):
        self.failures = failures
        self.error = error
        self.calls = 0

    def process(self, batch):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return pipeline.BatchResult(received=len(batch), stored=len(batch))


_LOCKED = sa_exc.OperationalError('INSERT ...', {},
                                  Exception('database is locked'))


@pytest.mark.parametrize('error', [
    _LOCKED, db_exc.DBDeadlock(),
    db_exc.DBError(Exception('Deadlock found when trying to get lock')),
    # Another job inserted a derived row's key first (MySQL).
    db_exc.DBDuplicateEntry(['item_key'])])
def test_a_batch_that_waited_on_another_writer_is_stored_again(
        error, monkeypatch):
    monkeypatch.setattr(importer, '_LOCK_BACKOFF', 0)
    sink = _LockedPipeline(2, error)
    job = importer.Importer(None, None, batch_size=10, pipeline=sink)
    result = job.import_items([{'n': n} for n in range(4)])
    # Counted once, though tried three times.
    assert (result.received, result.stored, sink.calls) == (4, 4, 3)


def test_a_lock_that_never_frees_stops_the_import(monkeypatch):
    monkeypatch.setattr(importer, '_LOCK_BACKOFF', 0)
    sink = _LockedPipeline(99, _LOCKED)
    job = importer.Importer(None, None, batch_size=10, pipeline=sink)
    with pytest.raises(sa_exc.OperationalError):
        job.import_items([{'n': 1}])
    assert sink.calls == 5
    assert job.result.received == 0


def test_other_database_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr(importer, '_LOCK_BACKOFF', 0)
    sink = _LockedPipeline(1, db_exc.DBError(Exception('disk full')))
    job = importer.Importer(None, None, batch_size=10, pipeline=sink)
    with pytest.raises(db_exc.DBError):
        job.import_items([{'n': 1}])
    assert sink.calls == 1
