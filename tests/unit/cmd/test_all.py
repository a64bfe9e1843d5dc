import os

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
