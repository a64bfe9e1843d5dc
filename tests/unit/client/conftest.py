"""Fixtures of the client tests: a real ``Client`` in front of a mocked
HTTP API, and a way to run one ``openstack stacktach`` command."""

import io
import types
import urllib.parse

import pytest
import requests_mock as requests_mock_lib

from stacktach_ng.client.v1 import client as v1_client

ENDPOINT = 'http://stacktach.test:8799'


@pytest.fixture
def api():
    """A ``requests_mock.Mocker`` (case-sensitive: ids and globs keep
    their case); register answers with ``api.get(url(...))``."""
    with requests_mock_lib.Mocker(case_sensitive=True) as mocker:
        yield mocker


def url(path):
    return ENDPOINT + path


@pytest.fixture
def client():
    return v1_client.Client(endpoint=ENDPOINT)


class Run:
    """Runs commands the way OSC does: parse the arguments with the
    command's parser, then ``take_action``."""

    def __init__(self, client):
        self.app = types.SimpleNamespace(
            client_manager=types.SimpleNamespace(stacktach=client),
            stdout=io.StringIO(), stderr=io.StringIO(), options=None)

    def __call__(self, command_class, *argv, **kwargs):
        command = command_class(self.app, None, **kwargs)
        parser = command.get_parser('openstack stacktach')
        parsed = parser.parse_args(list(argv))
        return command.take_action(parsed)

    def parse(self, command_class, *argv):
        command = command_class(self.app, None)
        return command.get_parser('openstack stacktach').parse_args(
            list(argv))


@pytest.fixture
def run(client):
    return Run(client)


def human(value):
    """What the table formatter prints for a value."""
    if hasattr(value, 'human_readable'):
        return value.human_readable()
    return value


def machine(value):
    """What the JSON formatter prints for a value."""
    if hasattr(value, 'machine_readable'):
        return value.machine_readable()
    return value


def query(request):
    """The query of a mocked request as a flat dict."""
    return dict(urllib.parse.parse_qsl(
        urllib.parse.urlsplit(request.url).query))
