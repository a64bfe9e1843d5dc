"""``stacktach-ng-all --simulate``: one command, traffic visible in seconds.

The second test installs the project into a brand-new virtualenv first, as
the README's quick start does on a fresh machine.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.fixtures import processes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))

_URL_LINE = re.compile(r'UI:\s+(http://\S+)/ui/')
_AUDIT_LINE = re.compile(r'Audit:\s+simulated every (\d+) minutes?: the '
                         r'first verification verdicts show within about '
                         r'(\d+) minutes?')


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def _run_all_in_one(executable, tmp_path, wait=60, extra=(),
                    verdict_within=None):
    port = processes.free_port()
    log = open(tmp_path / 'all.log', 'w+')
    process = subprocess.Popen(
        [executable, '--state-dir', str(tmp_path / 'state'),
         '--bind-port', str(port), '--simulate',
         '--operations-per-minute', '600', '--seed', '3', *extra],
        stdout=subprocess.PIPE, stderr=log, text=True,
        start_new_session=True)
    try:
        base = None
        printed = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            match = _URL_LINE.search(line)
            if match:
                base = match.group(1)
            if line.startswith('Press Ctrl-C'):
                break
        assert base == 'http://127.0.0.1:%d' % port, _tail(log)
        # The demo says when its first verdicts come and what it keeps.
        output = ''.join(printed)
        audit = _AUDIT_LINE.search(output)
        assert audit, output
        assert 'Kept:     notifications 6h' in output, output

        # Ingested traffic shows through the API within seconds.
        started = time.monotonic()
        stored = []
        while time.monotonic() - started < 30:
            status, body = _get(base + '/v1/notifications?limit=5')
            assert status == 200
            stored = json.loads(body)['notifications']
            if len(stored) == 5:
                break
            time.sleep(0.5)
        assert len(stored) == 5, _tail(log)
        assert all(item['event_type'] for item in stored)

        status, body = _get(base + '/ui/')
        assert status == 200
        assert b'<html' in body.lower()
        status, _ = _get(base + '/healthcheck')
        assert status == 200

        if verdict_within is not None:
            # As promised: a verification verdict within the minutes the
            # output named.
            minutes = int(audit.group(2))
            assert minutes <= verdict_within
            deadline = started + minutes * 60 + 30
            verdicts = []
            while not verdicts and time.monotonic() < deadline:
                status, body = _get(base + '/v1/verifications?limit=5')
                verdicts = [item for item in json.loads(body)[
                    'verifications'] if item['status'] != 'pending']
                if not verdicts:
                    time.sleep(5)
            assert verdicts, _tail(log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        log.close()
    assert code == 0


def _tail(log):
    log.flush()
    log.seek(0)
    return log.read()[-3000:]


def test_all_in_one_serves_simulated_traffic(tmp_path):
    executable = os.path.join(os.path.dirname(sys.executable),
                              'stacktach-ng-all')
    _run_all_in_one(executable, tmp_path)


@pytest.mark.slow
def test_the_demo_shows_an_audit_verdict_within_minutes(tmp_path):
    executable = os.path.join(os.path.dirname(sys.executable),
                              'stacktach-ng-all')
    _run_all_in_one(executable, tmp_path, extra=('--audit-period', '1m'),
                    verdict_within=3)


@pytest.mark.slow
def test_all_in_one_from_a_fresh_virtualenv(tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    install = subprocess.run(
        [str(venv / 'bin' / 'pip'), 'install', '-q', REPO],
        capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    _run_all_in_one(str(venv / 'bin' / 'stacktach-ng-all'), tmp_path)
