"""Unit tests of ``stacktach-ng-status`` that need no service."""

import json

import oslo_messaging
import pytest

from stacktach_ng.cmd import status
from tests import base


@pytest.mark.parametrize('url, expected', [
    ('rabbit://stacktach:s3cret@rabbit1:5672/',
     'rabbit://stacktach:***@rabbit1:5672/'),
    ('rabbit://u1:p1@h1:5672,u2:p2@h2:5673/vhost',
     'rabbit://u1:***@h1:5672,u2:***@h2:5673/vhost'),
    ('rabbit://guest@localhost/', 'rabbit://guest@localhost/'),
    ('kafka://broker:9092/', 'kafka://broker:9092/'),
])
def test_redacted_transport_url(url, expected):
    conf = base.make_conf('sqlite://')
    parsed = oslo_messaging.TransportURL.parse(conf, url)
    redacted = status.redacted_transport_url(parsed)
    assert redacted == expected
    assert 's3cret' not in redacted


def test_fake_transport_is_not_checked(tmp_path, capsys):
    """The in-process transport of the all-in-one service has no broker:
    the transport check says so instead of failing."""
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text('[DEFAULT]\ntransport_url = fake://\n'
                      '[database]\nconnection = sqlite:///%s\n'
                      % (tmp_path / 'empty.sqlite'))
    code = status.main(['stacktach-ng-status', '--config-file', str(config),
                        'upgrade', 'check', '--json'])
    checks = {check['check']: check
              for check in json.loads(capsys.readouterr().out)['checks']}
    transport = checks['Notification transport']
    assert transport['result'] == 0
    assert 'not checked' in transport['details']
    # The empty database is not at head: the whole check fails.
    assert checks['Database schema']['result'] == 2
    assert code == 2


def test_bad_option_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text('[listener]\nheartbeat_interval = often\n')
    code = status.main(['stacktach-ng-status', '--config-file', str(config),
                        'upgrade', 'check'])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith('stacktach-ng-status: ')
    assert 'Traceback' not in err
