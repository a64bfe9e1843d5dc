"""Options and configuration of the API benchmark."""

import argparse
import configparser
import datetime

import pytest

from tests.perf import api
from tests.perf import cli
from tests.perf import report


def _options(*argv):
    parser = argparse.ArgumentParser()
    cli.add_parsers(parser.add_subparsers(dest='command'))
    return parser.parse_args(['api', '--use-database',
                              'sqlite:///unused.sqlite', *argv])


@pytest.fixture(autouse=True)
def _no_os_variables(monkeypatch):
    for name in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD',
                 'OS_PROJECT_NAME'):
        monkeypatch.delenv(name, raising=False)


def test_keystone_without_auth_url_starts_one():
    options = _options('--auth', 'keystone')
    assert options.auth_url is None
    api._check_keystone_options(options)  # no error: a Keystone is started


def test_auth_url_needs_the_user():
    options = _options('--auth-url', 'http://keystone:5000/v3',
                       '--username', 'admin')
    with pytest.raises(ValueError) as raised:
        api._check_keystone_options(options)
    assert '--password' in str(raised.value)
    assert '--project-name' in str(raised.value)


def test_noauth_needs_nothing():
    api._check_keystone_options(_options('--auth', 'noauth'))


def test_keystone_venv_option():
    assert _options('--keystone-venv', 'ks-venv').keystone_venv == 'ks-venv'
    assert _options().keystone_venv is None


def test_config_carries_the_authtoken_options(tmp_path):
    options = _options('--auth', 'keystone')
    authtoken = {'auth_url': 'http://127.0.0.1:5000/v3',
                 'username': 'stacktach', 'password': 'secret'}
    path = api.write_config(str(tmp_path / 'api.conf'), options,
                            'sqlite:///db.sqlite', 8799, authtoken)
    parsed = configparser.ConfigParser()
    parsed.read(path)
    assert parsed['api']['auth_strategy'] == 'keystone'
    assert parsed['api']['port'] == '8799'
    assert parsed['database']['connection'] == 'sqlite:///db.sqlite'
    section = parsed['keystone_authtoken']
    assert {name: section[name] for name in authtoken} == authtoken


def test_config_without_keystone(tmp_path):
    options = _options('--auth', 'noauth')
    path = api.write_config(str(tmp_path / 'api.conf'), options,
                            'sqlite:///db.sqlite', 8799)
    parsed = configparser.ConfigParser()
    parsed.read(path)
    assert parsed['api']['auth_strategy'] == 'noauth'
    assert 'keystone_authtoken' not in parsed


def test_period_views_are_asked_over_a_day_and_the_whole_span():
    day = (datetime.datetime(2026, 3, 9, 7, 30, 5),
           datetime.datetime(2026, 3, 10, 7, 30, 5))
    span = (datetime.datetime(2026, 3, 1), datetime.datetime(2026, 3, 31))
    sample = argparse.Namespace(days=[day], months=[span])
    got = dict(api.period_paths(sample))
    assert got['hosts (1 day)'] == [
        '/v1/hosts?all_projects=true&since=2026-03-09T07:30:05Z'
        '&until=2026-03-10T07:30:05Z']
    assert got['/v1/summary (30 days)'] == [
        '/v1/summary?all_projects=true&since=2026-03-01T00:00:00Z'
        '&until=2026-03-31T00:00:00Z']
    assert len(got) == 8


def test_month_to_day_check_passes_at_twice_the_day_and_not_above():
    rows = []
    for name, day_ms, month_ms in (('timing summary', 10.0, 20.0),
                                   ('/v1/summary', 10.0, 20.1),
                                   ('hosts', 4.0, 5.0),
                                   ('services', None, 5.0)):
        rows.append({'name': name + ' (1 day)', 'server_p95_ms': day_ms})
        rows.append({'name': name + ' (30 days)', 'server_p95_ms': month_ms})
    results = report.Results('api')
    api._check_month_to_day(results, rows)
    assert [(c['name'], c['value'], c['passed']) for c in results.checks] == [
        ('timing summary 30 days / 1 day (server p95)', 2.0, True),
        ('/v1/summary 30 days / 1 day (server p95)', 2.01, False),
        ('hosts 30 days / 1 day (server p95)', 1.25, True),
        # No one-day figure (every request failed): no ratio, a miss.
        ('services 30 days / 1 day (server p95)', None, False)]
