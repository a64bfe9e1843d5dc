import datetime
import os

import pytest
from oslo_config import cfg

from stacktach_ng.cmd import all as all_cmd


def test_defaults_need_no_configuration_file(tmp_path):
    conf = all_cmd.configure(['stacktach-ng-all', '--config-file',
                              os.devnull, '--state-dir', str(tmp_path)])
    assert (conf.oslo_messaging_notifications.transport_url
            == all_cmd.IN_PROCESS_TRANSPORT)
    assert conf.database.connection == 'sqlite:///%s' % (
        tmp_path / 'stacktach-ng.sqlite')
    assert conf.api.auth_strategy == 'noauth'
    assert (conf.api.host, conf.api.port) == ('127.0.0.1', 8799)
    assert conf.simulate is False


def test_command_line_wins(tmp_path):
    url = 'rabbit://guest:guest@127.0.0.1:5672/'
    conf = all_cmd.configure(['stacktach-ng-all', '--config-file',
                              os.devnull, '--state-dir', str(tmp_path),
                              '--transport-url', url, '--bind-port', '0',
                              '--simulate'])
    assert conf.oslo_messaging_notifications.transport_url == url
    assert conf.api.port == 0
    assert conf.simulate is True


def test_configured_default_transport_is_used(tmp_path):
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text('[DEFAULT]\ntransport_url = rabbit://u:p@bus:5672/\n')
    conf = all_cmd.configure(['stacktach-ng-all', '--config-file',
                              str(config), '--state-dir', str(tmp_path)])
    assert (conf.oslo_messaging_notifications.transport_url
            == 'rabbit://u:p@bus:5672/')
    assert all_cmd._without_password(
        'rabbit://u:p@bus:5672/') == 'rabbit://u:***@bus:5672/'


def _configure(tmp_path, *extra):
    return all_cmd.configure(['stacktach-ng-all', '--config-file',
                              os.devnull, '--state-dir', str(tmp_path),
                              *extra])


def test_the_demo_keeps_its_database_small_and_audits_often(tmp_path):
    conf = _configure(tmp_path, '--simulate')
    assert conf.retention.max_age == all_cmd.DEMO_MAX_AGE
    assert conf.retention.purge_interval == all_cmd.DEMO_PURGE_INTERVAL
    assert all_cmd.audit_period(conf) == datetime.timedelta(minutes=5)
    lines = all_cmd._demo_lines(conf, all_cmd.audit_period(conf))
    assert 'simulated every 5 minutes' in lines
    assert 'verdicts show within about 7 minutes' in lines
    assert 'notifications 6h' in lines


def test_without_simulation_nothing_is_purged_by_default(tmp_path):
    conf = _configure(tmp_path)
    assert conf.retention.purge_interval == 0


def test_a_configuration_file_wins_over_the_demo_retention(tmp_path):
    config = tmp_path / 'stacktach-ng.conf'
    config.write_text('[retention]\npurge_interval = 60\n'
                      'max_age = notifications:2d\n')
    conf = all_cmd.configure(['stacktach-ng-all', '--config-file',
                              str(config), '--state-dir', str(tmp_path),
                              '--simulate'])
    assert conf.retention.purge_interval == 60
    assert conf.retention.max_age == {'notifications': '2d'}


@pytest.mark.parametrize('period', ['7m', '2d', '0m', 'soon'])
def test_an_audit_period_must_divide_a_day(tmp_path, period):
    conf = _configure(tmp_path, '--simulate', '--audit-period', period)
    with pytest.raises(cfg.Error):
        all_cmd.audit_period(conf)
    assert all_cmd.main(['stacktach-ng-all', '--config-file', os.devnull,
                         '--state-dir', str(tmp_path), '--simulate',
                         '--audit-period', period]) == 2
