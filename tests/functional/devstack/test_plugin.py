"""The devstack plugin, phase by phase, in devstack's own code.

See ``harness.py``: devstack's functions, stackrc and lib/ files at the
pinned commit of ``source.py``, with only package installation and sudo
replaced and stand-ins of systemctl, openstack, curl and uwsgi. The
database is the test MariaDB, created by devstack's own
``recreate_database``; the plugin's ``stacktach-ng-manage db upgrade``
really runs with the config file the plugin wrote.
"""

import configparser
import os
import sys

import pytest
import sqlalchemy as sa

from stacktach_ng import service
from tests.functional import services
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


def _started(devstack):
    """Units started through systemctl, in order."""
    return [call[2] for call in devstack.records('systemctl')
            if call[1] == 'start']


def _unit(devstack, service_name):
    return harness.ini.parse(devstack.unit_file(service_name))


@pytest.fixture(scope='module')
def stacked(tmp_path_factory):
    """A default devstack (heat's plugin after ours) after stack.sh."""
    devstack = harness.Devstack(tmp_path_factory.mktemp('devstack'),
                                database=True)
    try:
        devstack.result = devstack.run(*STACK)
        yield devstack
    finally:
        devstack.close()


def test_the_three_services_run_under_systemd(stacked):
    started = _started(stacked)
    assert ['devstack@%s.service' % name for name in SERVICES] == [
        unit for unit in started if 'stacktach' in unit]


def test_install_develops_the_plugin_repository(stacked):
    calls = stacked.records('setup_develop')
    assert len(calls) == 1
    assert os.path.realpath(calls[0][1]) == harness.REPO_ROOT


def test_config_file_sections(stacked):
    config = stacked.config('stacktach-ng/stacktach-ng.conf')
    # devstack's own URL (its user, host and dbcounter plugin), with the
    # utf8mb4 connection character set instead of devstack's utf8.
    assert _value(config, 'database', 'connection') == (
        'mysql+pymysql://%s:%s@%s/%s?charset=utf8mb4&plugin=dbcounter' % (
            stacked.db_user, stacked.db_password,
            sa.engine.make_url(services.MYSQL_URL).host or '127.0.0.1',
            stacked.db_name))
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
    assert _value(config, 'keystone_authtoken', 'service_type') == (
        'stacktach')
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


def test_database_created_by_devstack_and_migrated(stacked):
    engine = sa.create_engine(services.MYSQL_URL + '/')
    try:
        with engine.connect() as connection:
            charset = connection.execute(sa.text(
                'SELECT default_character_set_name FROM '
                'information_schema.schemata WHERE schema_name = :name'),
                {'name': stacked.db_name}).scalar()
            tables = {row[0] for row in connection.execute(sa.text(
                'SELECT table_name FROM information_schema.tables '
                'WHERE table_schema = :name'), {'name': stacked.db_name})}
    finally:
        engine.dispose()
    # devstack made it utf8; the plugin turned its default to utf8mb4.
    assert charset == 'utf8mb4'
    assert {'alembic_version', 'notifications'} <= tables


def test_keystone_service_user_service_and_endpoint(stacked):
    calls = [call[3:] for call in stacked.records('openstack')
             if call[1:3] == ('--os-cloud', 'devstack-system-admin')]
    creates = [call for call in calls if call[1] == 'create']
    assert [call[:3] for call in creates] == [
        ('user', 'create', 'stacktach'),
        ('service', 'create', 'stacktach'),
        ('endpoint', 'create', 'stacktach')]
    service_call = creates[1]
    assert service_call[service_call.index('--name') + 1] == 'stacktach'
    endpoint = creates[2]
    assert endpoint[3:5] == ('public', 'http://%s/stacktach' % harness.HOST)
    assert ('role', 'add', 'service', '--user', 'stacktach', '--project',
            'service') == calls[calls.index(creates[0]) + 1][:7]


def test_api_under_uwsgi_behind_apache(stacked):
    uwsgi_conf = stacked.path('stacktach-ng/stacktach-ng-api-uwsgi.ini')
    config = harness.ini.parse(uwsgi_conf)
    assert config['uwsgi']['module'] == ['stacktach_ng.wsgi.api:application']
    assert 'wsgi-file' not in config['uwsgi']
    assert config['uwsgi']['socket'] == [
        '/var/run/uwsgi/stacktach-api.socket']
    with open(stacked.apache_site('stacktach-api')) as f:
        site = f.read()
    assert site.startswith('ProxyPass "/stacktach" '
                           '"unix:/var/run/uwsgi/stacktach-api.socket|')


def test_services_started_with_absolute_commands(stacked):
    conf = stacked.stacktach_conf
    uwsgi_conf = stacked.path('stacktach-ng/stacktach-ng-api-uwsgi.ini')
    commands = {name: _unit(stacked, name)['Service']['ExecStart'][0]
                for name in SERVICES}
    # (devstack's GLOBAL_VENV adds --venv to a uwsgi command.)
    assert commands['stacktach-api'].split()[1:] == [
        '--procname-prefix', 'stacktach-api', '--ini', uwsgi_conf,
        '--venv', sys.prefix]
    bin_dir = os.path.join(os.path.realpath(sys.prefix), 'bin')
    for name in ('listener', 'verifier'):
        command = commands['stacktach-' + name].split()
        assert os.path.realpath(command[0]) == os.path.realpath(
            os.path.join(bin_dir, 'stacktach-ng-' + name))
        assert command[1:] == ['--config-file', conf]
        assert os.access(command[0], os.X_OK)


def test_commands_are_console_scripts_of_the_package(stacked):
    parser = configparser.ConfigParser()
    parser.read(os.path.join(harness.REPO_ROOT, 'setup.cfg'))
    scripts = {line.split('=')[0].strip() for line in parser.get(
        'entry_points', 'console_scripts').splitlines() if line.strip()}
    assert {'stacktach-ng-listener', 'stacktach-ng-verifier',
            'stacktach-ng-manage'} <= scripts


def test_api_health_before_the_daemons_start(stacked):
    records = stacked.records()
    health = records.index(
        ('curl', 'http://%s/stacktach/healthcheck' % harness.HOST))
    api = records.index(('systemctl', 'start',
                         'devstack@stacktach-api.service'))
    listener = records.index(('systemctl', 'start',
                              'devstack@stacktach-listener.service'))
    assert api < health < listener


def test_cli_checked_at_test_config(stacked):
    check = ('openstack', '--os-cloud', 'devstack-admin', 'stacktach',
             'summary', '-f', 'json')
    assert stacked.index(check) > stacked.index(
        ('phase', 'stack', 'test-config'))


def test_nova_sends_both_formats_to_the_stacktach_topic(stacked):
    for name in ('nova/nova.conf', 'nova/nova-cpu.conf'):
        nova = stacked.config(name)
        assert _value(nova, 'oslo_messaging_notifications', 'driver') == (
            'messagingv2')
        # The driver was set: nova published to the default topic, kept.
        assert _value(nova, *TOPICS) == 'notifications,stacktach'
        # Unversioned before: no versioned topic was in use.
        assert _value(nova, 'notifications',
                      'versioned_notifications_topics') == 'stacktach'
        assert _value(nova, 'notifications', 'notification_format') == (
            'both')
        assert _value(nova, 'notifications', 'notify_on_state_change') == (
            'vm_and_task_state')
        assert _value(nova, 'DEFAULT', 'instance_usage_audit') == 'True'
        assert _value(nova, 'DEFAULT', 'instance_usage_audit_period') == (
            'hour')


def test_nova_compute_started_with_the_copied_config(stacked):
    command = _unit(stacked, 'n-cpu')['Service']['ExecStart'][0]
    assert command.endswith('--config-file %s'
                            % stacked.path('nova/nova-cpu.conf'))


def test_cell_conductor_notifies_on_the_listener_vhost(stacked):
    cell = stacked.config('nova/nova_cell1.conf')
    assert _value(cell, 'DEFAULT', 'transport_url').endswith('/nova_cell1')
    assert _value(cell, 'oslo_messaging_notifications',
                  'transport_url') == harness.RABBIT
    assert _value(cell, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    assert _value(cell, *TOPICS) == 'stacktach'
    assert _value(cell, 'notifications', 'notification_format') == 'both'


def test_configure_neutron_nova_left_for_stack_sh_to_collect(stacked):
    (wait,) = stacked.records('async_wait')
    # stack.sh's own async_wait found the job (the plugin only waited for
    # its end) and it succeeded.
    assert 'finished' in wait[2] and 'Not waiting' not in wait[2], wait
    nova = stacked.config('nova/nova.conf')
    # Both its edits and ours are in nova.conf: no write lost.
    assert _value(nova, 'neutron', 'region_name') == 'RegionOne'
    assert _value(nova, *TOPICS) == 'notifications,stacktach'


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
    records = stacked.records()
    restarts = [i for i, call in enumerate(records)
                if 'restart' in call and 'devstack@keystone' in call]
    assert len(restarts) == 1
    keystone_check = records.index(
        ('curl', 'http://%s/identity/v3/' % harness.HOST))
    assert keystone_check > restarts[0]
    assert restarts[0] > stacked.index(('phase', 'stack', 'post-config'))


def test_heat_plugin_after_ours_starts_with_the_topic(stacked):
    # Heat's post-config rewrote heat.conf after ours: the extra phase
    # put the topic back before heat-engine started.
    assert stacked.records('heat_started') == [
        ('heat_started', 'notifications,stacktach')]


def test_no_warning_and_no_failure(stacked):
    output = stacked.result.stdout + stacked.result.stderr
    assert '[WARNING]' not in output
    assert '[ERROR]' not in output
    assert stacked.records()[-1] == ('finished',)


def test_unstack_then_clean(stacked):
    stacked.clear_records()
    stacked.run('unstack')
    stopped = [call[2] for call in stacked.records('systemctl')
               if call[1] == 'stop']
    assert ['devstack@%s.service' % name for name in SERVICES] == [
        unit for unit in stopped if 'stacktach' in unit]

    state_path = os.path.join(stacked.dest, 'data', 'stacktach-ng')
    assert os.path.isdir(state_path)
    stacked.run('clean')
    assert not os.path.exists(stacked.path('stacktach-ng'))
    assert not os.path.exists(state_path)
    assert ('sudo', 'a2dissite', 'stacktach-api') in stacked.records()
    # The database is left, as devstack leaves the others: clean.sh runs
    # after unstack.sh stopped the database server.
    assert stacked.database_exists()


def test_heat_plugin_before_ours_starts_with_the_topic(tmp_path):
    devstack = harness.Devstack(tmp_path, heat_first=True,
                                STACKTACH_PRODUCERS_ONLY='True')
    devstack.run('stack:post-config', 'stack:extra')
    assert devstack.records('heat_started') == [
        ('heat_started', 'notifications,stacktach')]


def test_api_not_healthy_fails_the_stack(tmp_path):
    """An API that answers 500 (an application that does not load under
    uwsgi) stops stack.sh; devstack's wait_for_service would accept it."""
    devstack = harness.Devstack(tmp_path, database=True, SERVICE_TIMEOUT=3)
    try:
        result = devstack.run(*STACK, check=False,
                              env={'STUB_HTTP_STATUS': '500'})
    finally:
        devstack.close()
    assert result.returncode != 0
    assert 'stacktach-api did not start' in result.stdout + result.stderr
    assert 'answers 500, not 200' in result.stdout
    assert 'devstack@stacktach-listener.service' not in _started(devstack)


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
    devstack = harness.Devstack(tmp_path, configs=configs)
    devstack.run('stack:post-config', 'stack:post-config')
    nova = devstack.config('nova/nova.conf')
    assert _value(nova, *TOPICS) == 'notifications,stacktach'
    assert _value(nova, 'notifications', 'versioned_notifications_topics') \
        == 'versioned_notifications,stacktach'
    assert _value(nova, 'notifications', 'notification_format') == 'both'
    cinder = devstack.config('cinder/cinder.conf')
    assert _value(cinder, *TOPICS) == 'notifications,audit,stacktach'


def test_own_port_instead_of_apache(tmp_path):
    devstack = harness.Devstack(tmp_path, STACKTACH_SERVICE_PORT='8799')
    devstack.run('stack:post-config')
    url = 'http://%s:8799' % harness.HOST
    (endpoint,) = [call for call in devstack.records('openstack')
                   if call[3:5] == ('endpoint', 'create')]
    assert endpoint[6:8] == ('public', url)
    uwsgi = harness.ini.parse(
        devstack.path('stacktach-ng/stacktach-ng-api-uwsgi.ini'))
    assert uwsgi['uwsgi']['http'] == ['0.0.0.0:8799']
    assert 'socket' not in uwsgi['uwsgi']
    assert not os.path.exists(devstack.apache_site('stacktach-api'))


def test_producers_left_alone_when_asked(tmp_path):
    devstack = harness.Devstack(tmp_path,
                                STACKTACH_CONFIGURE_PRODUCERS='False')
    # (nova's files get devstack's own configure_neutron_nova edits.)
    before = {name: devstack.read_config(name)
              for name in harness.DEVSTACK_CONFIGS
              if not name.startswith('nova/')}
    devstack.run('stack:post-config')
    assert {name: devstack.read_config(name) for name in before} == before
    for name in ('nova/nova.conf', 'nova/nova_cell1.conf'):
        assert 'topics' not in devstack.config(name).get(
            'oslo_messaging_notifications', {})
    assert not [call for call in devstack.records()
                if 'devstack@keystone' in call]
    assert os.path.exists(devstack.stacktach_conf)


def test_missing_config_file_warns_and_goes_on(tmp_path):
    configs = dict(harness.DEVSTACK_CONFIGS)
    del configs['cinder/cinder.conf']
    devstack = harness.Devstack(tmp_path, configs=configs)
    result = devstack.run('stack:post-config')
    assert 'stacktach-ng: %s not found, not configured' % devstack.path(
        'cinder/cinder.conf') in result.stdout
    assert not os.path.exists(devstack.path('cinder/cinder.conf'))
    assert _value(devstack.config('glance/glance-api.conf'), *TOPICS) == (
        'notifications,stacktach')


@pytest.mark.parametrize('disabled', [
    'stacktach', 'stacktach-api,stacktach-listener,stacktach-verifier'])
def test_nothing_happens_when_disabled(tmp_path, disabled):
    devstack = harness.Devstack(tmp_path, DISABLED_SERVICES=disabled)
    before = {name: devstack.read_config(name)
              for name in harness.DEVSTACK_CONFIGS
              if not name.startswith('nova/')}
    devstack.run('stack:install', 'stack:post-config')
    assert devstack.records('setup_develop') == []
    assert not os.path.exists(devstack.path('stacktach-ng'))
    assert {name: devstack.read_config(name) for name in before} == before
    nova = devstack.config('nova/nova.conf')
    assert 'topics' not in nova.get('oslo_messaging_notifications', {})
