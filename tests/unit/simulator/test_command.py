import json

import pytest

from stacktach_ng.cmd import manage
from stacktach_ng.pipeline import forms


def _run(*args):
    return manage.main(['stacktach-ng-manage', 'simulate'] + list(args))


def test_writes_messages_and_truth(tmp_path, capsys):
    out = tmp_path / 'out.jsonl'
    truth = tmp_path / 'truth.json'
    assert _run('--count', '400', '--seed', '3', '--format', 'both',
                '--output', str(out), '--truth', str(truth)) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 400
    first = json.loads(lines[0])
    assert first['oslo.version'] == '2.0'
    envelope = forms.to_envelope(first)
    assert envelope['metadata']['message_id']
    data = json.loads(truth.read_text())
    assert data['messages'] == 400
    report = capsys.readouterr().out
    assert '400 messages' in report and 'Operations:' in report


def test_same_seed_same_file(tmp_path):
    paths = [tmp_path / 'a.jsonl', tmp_path / 'b.jsonl']
    for path in paths:
        assert _run('--count', '300', '--seed', '9', '--form', 'wire-v1',
                    '--output', str(path)) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_duration_and_start(tmp_path):
    out = tmp_path / 'out.jsonl'
    assert _run('--duration', '2m', '--start', '2026-05-01T10:00:00',
                '--form', 'listener', '--output', str(out)) == 0
    stamps = [json.loads(line)['metadata']['timestamp']
              for line in out.read_text().splitlines()]
    assert stamps
    assert min(stamps) >= '2026-05-01 10:00:00'
    assert max(stamps) <= '2026-05-01 10:02:00'


def test_stdout_keeps_only_messages(capsys):
    assert _run('--count', '5') == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 5
    assert all(json.loads(line)['oslo.version'] == '2.0' for line in lines)
    assert '5 messages' in captured.err


@pytest.mark.parametrize('args, message', [
    (('--duration', '10x'), 'invalid duration'),
    (('--start', 'yesterday-ish'), 'invalid --start'),
    (('--failure-rate', '2'), 'failure_rate'),
    (('--count', '-1'), '--count'),
    (('--output', '/nonexistent-dir/x.jsonl'), 'cannot write'),
    (('--output', 'x', '--transport-url', 'rabbit://'), 'not both'),
])
def test_bad_input_is_one_line(capsys, args, message):
    assert _run(*args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert 'Traceback' not in err
    assert len(err.strip().splitlines()) == 1
