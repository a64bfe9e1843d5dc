"""Options and configuration of the API benchmark."""

import argparse
import configparser

import pytest

from tests.perf import api
from tests.perf import cli


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
