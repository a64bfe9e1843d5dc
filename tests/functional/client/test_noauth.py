"""``openstack stacktach ...`` against a no-auth API (``stacktach-ng-all``
style): the real executable, the real API process, ``-f json`` output."""

import datetime
import json
import queue
import signal
import threading
import time

import pytest
import yaml

from tests.fixtures import processes
from tests.functional.api import data as api_data
from tests.functional.client import server


def _ids(items):
    return [item['message_id'] for item in items]


def test_list_filters_by_request(openstack, noauth_api):
    _, dataset = noauth_api
    items = openstack.json('stacktach', 'notification', 'list',
                           '--request-id', dataset.request_a, '--long')
    expected = {e['metadata']['message_id'] for e in dataset.envelopes
                if e['ctxt'].get('request_id') == dataset.request_a}
    assert len(expected) == 5
    assert set(_ids(items)) == expected
    # Newest first, with the long columns.
    times = [item['generated_at'] for item in items]
    assert times == sorted(times, reverse=True)
    assert {item['request_id'] for item in items} == {dataset.request_a}
    assert {item['project_id'] for item in items} == {dataset.project_a}


def test_list_follows_pages(openstack):
    # The API serves pages of 50 at most: 120 rows take three of them.
    items = openstack.json('stacktach', 'notification', 'list',
                           '--limit', '120')
    assert len(items) == 120
    assert len(set(_ids(items))) == 120
    first = openstack.json('stacktach', 'notification', 'list',
                           '--limit', '30')
    assert _ids(first) == _ids(items)[:30]
    following = openstack.json('stacktach', 'notification', 'list',
                               '--limit', '30', '--marker', _ids(first)[-1])
    assert _ids(following) == _ids(items)[30:60]


def test_glob_and_time_range(openstack, noauth_api):
    _, dataset = noauth_api
    start = api_data.BASE_TIME.isoformat()
    items = openstack.json('stacktach', 'notification', 'list',
                           '--event-type', 'compute.instance.create.*',
                           '--since', start, '--sort-dir', 'asc')
    expected = [e['metadata']['message_id'] for e in dataset.envelopes
                if e['event_type'].startswith('compute.instance.create.')]
    assert _ids(items) == expected


def test_every_cliff_formatter(openstack, noauth_api):
    _, dataset = noauth_api
    args = ('stacktach', 'notification', 'list', '--request-id',
            dataset.request_a, '-c', 'message_id', '-c', 'event_type')
    ids = {e['metadata']['message_id'] for e in dataset.envelopes
           if e['ctxt'].get('request_id') == dataset.request_a}
    csv_lines = openstack.run(*args, '-f', 'csv').stdout.splitlines()
    assert csv_lines[0] == '"message_id","event_type"'
    assert {line.split(',')[0].strip('"') for line in csv_lines[1:]} == ids
    value = openstack.run(*args, '-f', 'value').stdout.split()
    assert set(value[0::2]) == ids
    loaded = yaml.safe_load(openstack.run(*args, '-f', 'yaml').stdout)
    assert {item['message_id'] for item in loaded} == ids
    table = openstack.run(*args).stdout
    assert '| message_id' in table and all(i in table for i in ids)


def test_show_has_the_payload_and_no_token(openstack, noauth_api):
    _, dataset = noauth_api
    envelope = dataset.envelopes[0]
    item = openstack.json('stacktach', 'notification', 'show',
                          envelope['metadata']['message_id'])
    assert item['event_type'] == envelope['event_type']
    assert item['payload']['instance_id'] == \
        envelope['payload']['instance_id']
    assert 'a-token-never-stored' not in json.dumps(item)


def test_unknown_id_is_one_line_error(openstack):
    result = openstack.run('stacktach', 'notification', 'show', 'nope',
                           check=False)
    assert result.returncode == 1
    assert 'No notification has message_id nope' in result.stderr
    assert 'Traceback' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_parameter_is_one_line_error(openstack):
    result = openstack.run('stacktach', 'notification', 'list', '--marker',
                           'no-such-message', check=False)
    assert result.returncode == 1
    assert 'marker' in result.stderr and '400' in result.stderr
    assert 'Traceback' not in result.stderr


def test_unreachable_api_is_one_line_error():
    openstack = server.OpenStack(
        OS_AUTH_TYPE='none',
        OS_STACKTACH_URL='http://127.0.0.1:%d'
        % processes.free_port())
    result = openstack.run('stacktach', 'summary', check=False)
    assert result.returncode == 1
    assert 'cannot reach the stacktach-ng API' in result.stderr
    assert 'Traceback' not in result.stderr


def test_keystoneauth_endpoint_option_works_too(noauth_api):
    api, dataset = noauth_api
    openstack = server.OpenStack()
    items = openstack.json('--os-auth-type', 'none', '--os-endpoint',
                           api.url, 'stacktach', 'notification', 'list',
                           '--request-id', dataset.request_b)
    assert len(items) == 5


def test_counts(openstack, noauth_api):
    _, dataset = noauth_api
    hosts = openstack.json('stacktach', 'host', 'list', '--since',
                           api_data.BASE_TIME.isoformat(), '--limit', '500')
    by_host = {item['host']: item['count'] for item in hosts}
    assert by_host['host-b1'] == 10
    assert by_host['host-a1'] == 6
    event_types = openstack.json('stacktach', 'event', 'type', 'list',
                                 '--limit', '500')
    services = openstack.json('stacktach', 'service', 'list')
    assert sum(i['count'] for i in event_types) == sum(
        i['count'] for i in services)


# -- watch ------------------------------------------------------------------

class _Lines:
    """Collects the lines of a stream in a thread."""

    def __init__(self, stream):
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,),
                                       daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.put(line.rstrip('\n'))

    def wait_for(self, count, timeout=60):
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            try:
                got.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                continue
        return got


def _later(dataset, day, count, host):
    """``count`` new notifications of project A on ``day`` of April."""
    moment = datetime.datetime(2026, 4, day, 8, 0, 0)
    return [api_data.envelope(
        'compute.instance.update', moment + datetime.timedelta(seconds=i),
        project_id=dataset.project_a, host=host, request_id='req-watch',
        instance_id='watched') for i in range(count)]


def test_watch_follows_new_notifications_across_an_api_restart(
        noauth_api, tmp_path):
    api, dataset = noauth_api
    openstack = server.OpenStack(OS_AUTH_TYPE='none',
                                 OS_STACKTACH_URL=api.url)
    seed = _later(dataset, 1, 1, 'host-w')
    api.manage('import', server.write_jsonl(tmp_path / 'seed.jsonl', seed))
    process = openstack.popen('stacktach', 'watch', '-f', 'json',
                              '--history', '1', '--interval', '0.3',
                              '--host', 'host-w')
    try:
        out, err = _Lines(process.stdout), _Lines(process.stderr)
        # The history line: the watch is following from here on.
        assert [json.loads(line)['message_id']
                for line in out.wait_for(1)] == _ids_of(seed)
        first = _later(dataset, 2, 3, 'host-w')
        api.manage('import', server.write_jsonl(tmp_path / 'a.jsonl',
                                                first))
        seen = [json.loads(line) for line in out.wait_for(3)]
        assert _ids(seen) == _ids_of(first)

        api.stop()
        warning = err.wait_for(1, timeout=30)
        assert warning and warning[0].startswith('warning: cannot reach')
        noise = _later(dataset, 3, 2, 'host-other')
        second = _later(dataset, 4, 4, 'host-w')
        api.manage('import', server.write_jsonl(
            tmp_path / 'b.jsonl', noise + second))
        api.start()
        seen = [json.loads(line) for line in out.wait_for(4)]
        assert _ids(seen) == _ids_of(second)
        assert err.wait_for(1, timeout=30) == ['the API answers again']

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        rest = err.wait_for(1, timeout=2)
        assert not any('Traceback' in line for line in rest)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if api.process is None:
            api.start()


def _ids_of(envelopes):
    return [e['metadata']['message_id'] for e in envelopes]


def test_watch_history_and_count(openstack, noauth_api):
    _, dataset = noauth_api
    result = openstack.run('stacktach', 'watch', '--history', '3',
                           '--count', '3', '--request-id',
                           dataset.request_b)
    lines = result.stdout.splitlines()
    expected = [e for e in dataset.envelopes
                if e['ctxt'].get('request_id') == dataset.request_b][-3:]
    assert [_moment(line.split()[0]) for line in lines] == [
        datetime.datetime.fromisoformat(e['metadata']['timestamp'])
        for e in expected]


def _moment(text):
    return datetime.datetime.fromisoformat(text.rstrip('Z'))


@pytest.mark.parametrize('args', [('--interval', 'x'), ('--bogus',)])
def test_watch_usage_errors(openstack, args):
    result = openstack.run('stacktach', 'watch', *args, check=False)
    assert result.returncode == 2


def test_an_address_ending_in_the_version_works(noauth_api):
    api, dataset = noauth_api
    openstack = server.OpenStack(OS_AUTH_TYPE='none',
                                 OS_STACKTACH_URL=api.url + '/v1/')
    items = openstack.json('stacktach', 'notification', 'list',
                           '--request-id', dataset.request_b)
    assert len(items) == 5


def test_a_wrong_root_says_what_was_tried(noauth_api):
    api, _ = noauth_api
    openstack = server.OpenStack(OS_AUTH_TYPE='none',
                                 OS_STACKTACH_URL=api.url + '/nowhere')
    result = openstack.run('stacktach', 'summary', check=False)
    assert result.returncode == 1
    assert 'tried GET %s/nowhere/v1/summary' % api.url in result.stderr
    assert 'Is %s/nowhere the root' % api.url in result.stderr
    assert 'Traceback' not in result.stderr


def test_tables_head_human_durations_plainly(openstack):
    args = ('stacktach', 'timing', 'summary', '--all-projects',
            '--since', '2026-01-01', '--until', '2026-04-01')
    table = openstack.run(*args).stdout
    header = [cell.strip() for cell in
              table.splitlines()[1].strip('|').split('|')]
    assert header[-5:] == ['min', 'p50', 'p95', 'p99', 'max'], header
    assert not [cell for cell in header if cell.endswith('_us')]
    loaded = json.loads(openstack.run(*args, '-f', 'json').stdout)
    assert loaded and isinstance(loaded[0]['p50_us'], int)


def test_a_value_outside_a_closed_set_lists_the_accepted_ones(openstack):
    result = openstack.run('stacktach', 'notification', 'list',
                           '--priority', 'error', check=False)
    assert result.returncode == 1
    assert ("priority: must be one of AUDIT, CRITICAL, DEBUG, ERROR, INFO, "
            "SAMPLE, WARN, WARNING, got 'error'") in result.stderr


def test_older_than_in_minutes_is_read_by_cli_and_api_alike(openstack):
    in_minutes = openstack.json('stacktach', 'resource', 'list', '--stuck',
                                '--older-than', '10m', '--all-projects')
    in_seconds = openstack.json('stacktach', 'resource', 'list', '--stuck',
                                '--older-than', '600', '--all-projects')
    assert in_minutes and [item['resource_id'] for item in in_minutes] == [
        item['resource_id'] for item in in_seconds]
