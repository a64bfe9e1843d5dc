import argparse
import types

import pytest

from stacktach_ng.client.osc import plugin
from stacktach_ng.client.v1 import client as v1_client


def _instance(config=None, version='1', interface='internal',
              region='RegionTwo', override=None):
    return types.SimpleNamespace(
        _api_version={'stacktach': version},
        _cli_options=types.SimpleNamespace(config=config or {}),
        _override_for=lambda service_type: override,
        session=object(), interface=interface, region_name=region)


def test_make_client_uses_session_service_type_interface_region():
    client = plugin.make_client(_instance())
    assert isinstance(client, v1_client.Client)
    adapter = client.adapter
    assert adapter.service_type == 'stacktach'
    assert adapter.interface == 'internal'
    assert adapter.region_name == 'RegionTwo'
    assert adapter.endpoint_override is None


def test_stacktach_url_overrides_the_catalog():
    client = plugin.make_client(_instance(
        config={'stacktach_url': 'http://aio:8799/'}))
    assert client.adapter.endpoint_override == 'http://aio:8799'


def test_generic_endpoint_override_is_honoured():
    client = plugin.make_client(_instance(override='http://other:1'))
    assert client.adapter.endpoint_override == 'http://other:1'


def test_unknown_version_is_refused():
    with pytest.raises(ValueError, match='version 9'):
        plugin.make_client(_instance(version='9'))


def test_option_parser_reads_the_environment(monkeypatch):
    monkeypatch.setenv('OS_STACKTACH_URL', 'http://env:8799')
    parser = plugin.build_option_parser(argparse.ArgumentParser())
    options = parser.parse_args([])
    assert options.os_stacktach_url == 'http://env:8799'
    assert options.os_stacktach_api_version == '1'
    options = parser.parse_args(['--os-stacktach-url', 'http://cli:1'])
    assert options.os_stacktach_url == 'http://cli:1'


def test_plugin_contract():
    assert plugin.API_NAME == 'stacktach'
    assert plugin.API_VERSION_OPTION == 'os_stacktach_api_version'
    assert set(plugin.API_VERSIONS) == {'1'}
