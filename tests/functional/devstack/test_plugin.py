"""The devstack plugin, phase by phase, against a fake devstack.

See ``harness.py``: devstack's functions are stand-ins that edit real ini
files and record the rest. The plugin's own ``stacktach-ng-manage db
upgrade`` really runs, on a SQLite database, with the config file the
plugin wrote.
"""

import configparser
import os
import re
import sqlite3

import pytest

from stacktach_ng import service
from tests.functional.devstack import harness

STACK = ('stack:install', 'stack:post-config', 'stack:extra',
         'stack:test-config')
SERVICES = ('stacktach-api', 'stacktach-listener', 'stacktach-verifier')
TOPICS = ('oslo_messaging_notifications', 'topics')


def _value(config, section, option):
    """The single value of an option; fails when it is written twice."""
    values = config.get(section, {}).get(option, [])
    assert len(values) <= 1, '%s/%s written %d times' % (
        section, option, len(values))
    return values[0] if values else None


@pytest.fixture(scope='module')
def stacked(tmp_path_factory):
    """A default devstack (heat's plugin after ours) after stack.sh."""
    devstack = harness.FakeDevstack(tmp_path_factory.mktemp('devstack'))
    devstack.run(*STACK)
    return devstack


def test_settings_enable_the_three_services(stacked):
    with open(os.path.join(harness.REPO_ROOT, 'devstack', 'settings')) as f:
        enabled = re.findall(r'^enable_service (.*)$', f.read(), re.M)
    assert enabled == [' '.join(SERVICES)]


def test_install_develops_the_plugin_repository(stacked):
    calls = stacked.records('setup_develop')
    assert len(calls) == 1
    assert os.path.realpath(calls[0][1]) == harness.REPO_ROOT


def test_config_file_sections(stacked):
    config = stacked.config('stacktach-ng/stacktach-ng.conf')
    assert _value(config, 'database', 'connection') == (
        'sqlite:///%s/stacktach.sqlite' % stacked.db_dir)
    assert _value(config, 'DEFAULT', 'transport_url') == harness.RABBIT
    assert _value(config, 'oslo_messaging_notifications',
                  'transport_url') == harness.RABBIT
    assert _value(config, 'listener', 'topics') == 'stacktach'
    assert _value(config, 'listener', 'exchanges') == (
        'nova,glance,cinder,neutron,keystone,heat')
    assert _value(config, 'listener', 'workers') == '1'
    assert 'pool' not in config['listener']
    assert _value(config, 'api', 'auth_strategy') == 'keystone'
    auth = config['keystone_authtoken']
    assert _value(config, 'keystone_authtoken', 'username') == 'stacktach'
    assert _value(config, 'keystone_authtoken', 'auth_url') == (
        'http://%s/identity' % harness.HOST)
    assert 'www_authenticate_uri' in auth and 'password' in auth


def test_config_file_parses_with_the_real_options(stacked):
    conf = service.build_conf()
    conf(['--config-file', stacked.stacktach_conf], project='stacktach-ng',
         validate_default_values=True, default_config_files=[])
    assert conf.listener.topics == ['stacktach']
    assert conf.listener.exchanges == [
        'nova', 'glance', 'cinder', 'neutron', 'keystone', 'heat']
    assert conf.api.auth_strategy == 'keystone'
    assert conf.database.connection.endswith('/stacktach.sqlite')


def test_database_recreated_and_migrated_by_the_real_command(stacked):
    assert stacked.records('recreate_database') == [
        ('recreate_database', 'stacktach')]
    path = os.path.join(stacked.db_dir, 'stacktach.sqlite')
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {'alembic_version', 'notifications'} <= tables


def test_keystone_service_user_service_and_endpoint(stacked):
    assert stacked.records('create_service_user') == [
        ('create_service_user', 'stacktach')]
    (service_call,) = stacked.records('get_or_create_service')
    assert service_call[1:3] == ('stacktach', 'stacktach')
    assert stacked.records('get_or_create_endpoint') == [
        ('get_or_create_endpoint', 'stacktach', 'RegionOne',
         'http://%s/stacktach' % harness.HOST)]


def test_api_under_uwsgi_behind_apache(stacked):
    (call,) = stacked.records('write_uwsgi_config')
    uwsgi_conf = stacked.path('stacktach-ng/stacktach-ng-api-uwsgi.ini')
    assert call[1:] == (uwsgi_conf, 'stacktach_ng.wsgi.api:application',
                        '/stacktach', '', 'stacktach-api')
    config = harness.ini.parse(uwsgi_conf)
    assert config['uwsgi']['module'] == ['stacktach_ng.wsgi.api:application']
    assert 'wsgi-file' not in config['uwsgi']
    assert stacked.records('apache_proxy_pass') == [
        ('apache_proxy_pass', '/stacktach', 'stacktach-api')]


def test_services_started_with_absolute_commands(stacked):
    started = {call[1]: call[2] for call in stacked.records('run_process')}
    assert set(started) == set(SERVICES)
    conf = stacked.stacktach_conf
    uwsgi_conf = stacked.path('stacktach-ng/stacktach-ng-api-uwsgi.ini')
    bin_dir = stacked.env['STUB_BIN_DIR']
    assert started['stacktach-api'].split()[1:] == [
        '--procname-prefix', 'stacktach-api', '--ini', uwsgi_conf]
    assert started['stacktach-listener'] == (
        '%s/stacktach-ng-listener --config-file %s' % (bin_dir, conf))
    assert started['stacktach-verifier'] == (
        '%s/stacktach-ng-verifier --config-file %s' % (bin_dir, conf))
    # devstack's systemd units refuse a relative command.
    assert all(command.startswith('/') for command in started.values())


def test_commands_are_console_scripts_of_the_package(stacked):
    parser = configparser.ConfigParser()
    parser.read(os.path.join(harness.REPO_ROOT, 'setup.cfg'))
    scripts = {line.split('=')[0].strip() for line in parser.get(
        'entry_points', 'console_scripts').splitlines() if line.strip()}
    assert {'stacktach-ng-listener', 'stacktach-ng-verifier',
            'stacktach-ng-manage'} <= scripts


def test_api_answers_before_the_daemons_start(stacked):
    health = ('wait_for_service', '60',
              'http://%s/stacktach/healthcheck' % harness.HOST)
    api = [c for c in stacked.records('run_process')
           if c[1] == 'stacktach-api'][0]
    listener = [c for c in stacked.records('run_process')
                if c[1] == 'stacktach-listener'][0]
    assert (stacked.index(api) < stacked.index(health)
            < stacked.index(listener))


def test_cli_checked_at_test_config(stacked):
    check = ('openstack', '--os-cloud', 'devstack-admin', 'stacktach',
             'summary', '-f', 'json')
    assert stacked.index(check) > stacked.index(
        ('phase', 'stack', 'test-config'))


def test_nova_sends_both_formats_to_the_stacktach_topic(stacked):
    nova = stacked.config('nova/nova.conf')
    assert _value(nova, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    # The driver was set: nova published to the default topic, kept.
    assert _value(nova, *TOPICS) == 'notifications,stacktach'
    # Unversioned before: no versioned topic was in use.
    assert _value(nova, 'notifications',
                  'versioned_notifications_topics') == 'stacktach'
    assert _value(nova, 'notifications', 'notification_format') == 'both'
    assert _value(nova, 'notifications', 'notify_on_state_change') == (
        'vm_and_task_state')
    assert _value(nova, 'DEFAULT', 'instance_usage_audit') == 'True'
    assert _value(nova, 'DEFAULT', 'instance_usage_audit_period') == 'hour'


def test_cell_conductor_notifies_on_the_listener_vhost(stacked):
    cell = stacked.config('nova/nova_cell1.conf')
    assert _value(cell, 'DEFAULT', 'transport_url').endswith('/nova_cell1')
    assert _value(cell, 'oslo_messaging_notifications',
                  'transport_url') == harness.RABBIT
    assert _value(cell, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    assert _value(cell, *TOPICS) == 'stacktach'
    assert _value(cell, 'notifications', 'notification_format') == 'both'


def test_nova_edited_only_after_configure_neutron_nova(stacked):
    wait = stacked.index(('async_wait', 'configure_neutron_nova'))
    nova_conf = stacked.path('nova/nova.conf')
    edits = [i for i, call in enumerate(stacked.records())
             if call[0] == 'iniset' and call[1] == nova_conf]
    assert edits and min(edits) > wait


@pytest.mark.parametrize('name,topics', [
    ('glance/glance-api.conf', 'notifications,stacktach'),
    # No driver before: they sent nothing, nobody reads "notifications".
    ('cinder/cinder.conf', 'stacktach'),
    ('neutron/neutron.conf', 'stacktach'),
    ('keystone/keystone.conf', 'stacktach'),
])
def test_other_producers(stacked, name, topics):
    config = stacked.config(name)
    assert _value(config, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    assert _value(config, *TOPICS) == topics


def test_neutron_sample_comments_untouched(stacked):
    text = stacked.read_config('neutron/neutron.conf')
    assert '#topics = notifications' in text
    assert '#driver =' in text


def test_keystone_restarted_after_its_config_changed(stacked):
    keystone_conf = stacked.path('keystone/keystone.conf')
    edits = [i for i, call in enumerate(stacked.records())
             if call[0] == 'iniset' and call[1] == keystone_conf]
    restart = stacked.index(('restart_service', 'devstack@keystone'))
    assert edits and restart > max(edits)
    assert stacked.index(('wait_for_service', '60',
                          'http://%s/identity/v3/' % harness.HOST)) > restart


def test_heat_plugin_after_ours_starts_with_the_topic(stacked):
    # Heat's post-config rewrote heat.conf after ours: the extra phase
    # put the topic back before heat-engine started.
    assert stacked.records('heat_started') == [
        ('heat_started', 'notifications,stacktach')]


def test_heat_plugin_before_ours_starts_with_the_topic(tmp_path):
    devstack = harness.FakeDevstack(tmp_path, heat_first=True)
    devstack.run(*STACK)
    assert devstack.records('heat_started') == [
        ('heat_started', 'notifications,stacktach')]


def test_no_warning_and_no_failure(stacked):
    assert stacked.records('warn') == []
    assert stacked.records('die') == []
    assert stacked.records()[-1] == ('finished',)


def test_unstack_stops_the_three_services(stacked):
    stacked.clear_records()
    stacked.run('unstack')
    calls = [c for c in stacked.records()
             if c[0] not in ('define_plugin', 'phase', 'finished')]
    assert calls == [('stop_process', name) for name in SERVICES]


def test_clean_drops_the_database_and_removes_files(tmp_path):
    devstack = harness.FakeDevstack(tmp_path)
    devstack.run(*STACK)
    state_path = os.path.join(devstack.dest, 'data', 'stacktach-ng')
    assert os.path.isdir(state_path)
    devstack.clear_records()
    devstack.run('unstack')
    devstack.run('clean')
    uwsgi_conf = devstack.path('stacktach-ng/stacktach-ng-api-uwsgi.ini')
    assert devstack.records('remove_uwsgi_config') == [
        ('remove_uwsgi_config', uwsgi_conf, 'stacktach-api')]
    (drop,) = devstack.records('mysql')
    assert drop[-1] == 'DROP DATABASE IF EXISTS stacktach;'
    assert '-h%s' % harness.HOST in drop
    assert not os.path.exists(devstack.path('stacktach-ng'))
    assert not os.path.exists(state_path)


def test_clean_on_postgresql(tmp_path):
    devstack = harness.FakeDevstack(
        tmp_path, services='key,postgresql,rabbit', DATABASE_TYPE='postgresql')
    devstack.run('clean')
    (drop,) = devstack.records('psql')
    assert drop[-1] == 'DROP DATABASE IF EXISTS stacktach'
    assert devstack.records('mysql') == []


def test_restack_keeps_topics_and_writes_them_once(tmp_path):
    """Ceilometer-like topics are kept; a second stack adds nothing."""
    configs = dict(harness.DEVSTACK_CONFIGS)
    configs['nova/nova.conf'] = """
[oslo_messaging_notifications]
driver = messagingv2
topics = notifications

[notifications]
notification_format = versioned
versioned_notifications_topics = versioned_notifications
"""
    configs['cinder/cinder.conf'] = """
[oslo_messaging_notifications]
driver = messagingv2
topics = notifications, audit
"""
    devstack = harness.FakeDevstack(tmp_path, configs=configs)
    devstack.run('stack:post-config')
    devstack.run('stack:post-config')
    nova = devstack.config('nova/nova.conf')
    assert _value(nova, *TOPICS) == 'notifications,stacktach'
    assert _value(nova, 'notifications', 'versioned_notifications_topics') \
        == 'versioned_notifications,stacktach'
    assert _value(nova, 'notifications', 'notification_format') == 'both'
    cinder = devstack.config('cinder/cinder.conf')
    assert _value(cinder, *TOPICS) == 'notifications,audit,stacktach'


def test_own_port_instead_of_apache(tmp_path):
    devstack = harness.FakeDevstack(tmp_path, STACKTACH_SERVICE_PORT='8799')
    devstack.run(*STACK)
    url = 'http://%s:8799' % harness.HOST
    (endpoint,) = devstack.records('get_or_create_endpoint')
    assert endpoint[-1] == url
    (call,) = devstack.records('write_uwsgi_config')
    assert call[4] == '0.0.0.0:8799'
    uwsgi = harness.ini.parse(
        devstack.path('stacktach-ng/stacktach-ng-api-uwsgi.ini'))
    assert uwsgi['uwsgi']['http'] == ['0.0.0.0:8799']
    assert devstack.records('apache_proxy_pass') == []
    assert ('wait_for_service', '60', url + '/healthcheck') in (
        devstack.records())


def test_producers_left_alone_when_asked(tmp_path):
    devstack = harness.FakeDevstack(tmp_path,
                                    STACKTACH_CONFIGURE_PRODUCERS='False')
    before = {name: devstack.read_config(name)
              for name in harness.DEVSTACK_CONFIGS}
    devstack.run(*STACK)
    after = {name: devstack.read_config(name)
             for name in harness.DEVSTACK_CONFIGS}
    assert after == before
    assert devstack.records('restart_service') == []
    assert devstack.records('heat_started') == [('heat_started', '')]
    assert len(devstack.records('run_process')) == 3


def test_disabled_service_and_absent_projects(tmp_path):
    devstack = harness.FakeDevstack(
        tmp_path, services='key,mysql,rabbit',
        configs={'keystone/keystone.conf':
                 harness.DEVSTACK_CONFIGS['keystone/keystone.conf']},
        DISABLED_SERVICES='stacktach-verifier',
        STACKTACH_NOVA_USAGE_AUDIT='False')
    devstack.run(*STACK)
    assert [c[1] for c in devstack.records('run_process')] == [
        'stacktach-api', 'stacktach-listener']
    # Only keystone is there: nothing else was looked for.
    assert devstack.records('warn') == []
    assert devstack.records('async_wait') == []
    assert _value(devstack.config('keystone/keystone.conf'), *TOPICS) == (
        'stacktach')
    devstack.clear_records()
    devstack.run('unstack')
    assert [c[1] for c in devstack.records('stop_process')] == [
        'stacktach-api', 'stacktach-listener']


def test_missing_config_file_warns_and_goes_on(tmp_path):
    configs = dict(harness.DEVSTACK_CONFIGS)
    del configs['cinder/cinder.conf']
    devstack = harness.FakeDevstack(tmp_path, configs=configs)
    devstack.run(*STACK)
    (warning,) = devstack.records('warn')
    assert 'cinder.conf' in warning[1]
    assert not os.path.exists(devstack.path('cinder/cinder.conf'))
    assert _value(devstack.config('glance/glance-api.conf'), *TOPICS) == (
        'notifications,stacktach')


@pytest.mark.parametrize('disabled', [
    'stacktach', 'stacktach-api,stacktach-listener,stacktach-verifier'])
def test_nothing_happens_when_disabled(tmp_path, disabled):
    devstack = harness.FakeDevstack(tmp_path, DISABLED_SERVICES=disabled)
    before = {name: devstack.read_config(name)
              for name in harness.DEVSTACK_CONFIGS}
    devstack.run(*STACK)
    heat_conf = devstack.path('heat/heat.conf')
    assert [c for c in devstack.records()
            if c[0] not in ('define_plugin', 'phase', 'finished',
                            'heat_started')
            and c[1:2] != (heat_conf,)] == []
    assert {name: devstack.read_config(name)
            for name in harness.DEVSTACK_CONFIGS} == before
