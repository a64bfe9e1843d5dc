"""The two-node example of the install guide, in devstack's own code.

The ``local.conf`` of the controller and of the compute subnode are read
from doc/source/install/devstack.rst as they are written there; the
harness only adds its paths (``harness.py``). On the subnode the plugin is
in producers-only mode: devstack's own ``start_nova_compute`` writes
``nova-cpu.conf`` from the ``nova.conf`` the plugin edited, and that file
sends both formats to the ``stacktach`` topic of the controller's
RabbitMQ.
"""

import configparser
import os
import re

import pytest

from tests.functional.devstack import harness

GUIDE = os.path.join(harness.REPO_ROOT, 'doc', 'source', 'install',
                     'devstack.rst')
TOPICS = ('oslo_messaging_notifications', 'topics')
CONTROLLER_RABBIT = 'rabbit://stackrabbit:secret@192.168.42.11:5672/'

# What devstack writes on a compute subnode before the plugins'
# post-config: nova.conf, cinder-volume's cinder.conf, the agent's
# neutron.conf.
SUBNODE_CONFIGS = {
    'nova/nova.conf': """
[DEFAULT]
transport_url = rabbit://stackrabbit:secret@192.168.42.11:5672/

[oslo_messaging_notifications]
driver = messagingv2
transport_url = rabbit://stackrabbit:secret@192.168.42.11:5672/

[notifications]
notification_format = unversioned
""",
    'cinder/cinder.conf': harness.DEVSTACK_CONFIGS['cinder/cinder.conf'],
    'neutron/neutron.conf': harness.DEVSTACK_CONFIGS['neutron/neutron.conf'],
}


def guide_local_conf(title):
    """The localrc body of the literal block introduced by ``title``."""
    with open(GUIDE, encoding='utf-8') as f:
        text = f.read()
    start = text.index(title)
    block = text[text.index('::\n', start) + 3:]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith('    '):
            break
        lines.append(line[4:])
    body = '\n'.join(lines).strip()
    assert body.startswith('[[local|localrc]]\n'), body[:40]
    return body[len('[[local|localrc]]\n'):]


def _value(config, section, option):
    values = config.get(section, {}).get(option, [])
    assert len(values) <= 1, (section, option, values)
    return values[0] if values else None


@pytest.fixture(scope='module')
def subnode(tmp_path_factory):
    devstack = harness.Devstack(
        tmp_path_factory.mktemp('subnode'), services=None,
        configs=SUBNODE_CONFIGS,
        localrc=guide_local_conf("A compute subnode's ``local.conf``"))
    devstack.result = devstack.run('stack:install', 'stack:post-config',
                                   'stack:extra', 'stack:test-config')
    return devstack


def test_docs_enable_the_plugin_where_it_is_published():
    """Every enable_plugin line of the docs names the repository of
    setup.cfg's home page."""
    parser = configparser.ConfigParser()
    parser.read(os.path.join(harness.REPO_ROOT, 'setup.cfg'))
    home_page = parser.get('metadata', 'home_page')
    assert harness.PLUGIN_URL == home_page
    found = []
    for name in ('README.rst', 'devstack/README.rst',
                 'devstack/local.conf.sample',
                 'doc/source/install/devstack.rst'):
        with open(os.path.join(harness.REPO_ROOT, name),
                  encoding='utf-8') as f:
            found += [(name, url) for url in re.findall(
                r'enable_plugin stacktach-ng (\S+)', f.read())]
    assert {name for name, _url in found} == {
        'README.rst', 'devstack/README.rst', 'devstack/local.conf.sample',
        'doc/source/install/devstack.rst'}
    assert {url for _name, url in found} == {home_page}
    for title in ("The controller's ``local.conf``",
                  "A compute subnode's ``local.conf``"):
        assert re.search(r'^enable_plugin stacktach-ng %s$'
                         % re.escape(home_page), guide_local_conf(title),
                         re.M)


def test_subnode_compute_sends_both_formats_to_stacktach(subnode):
    cpu = subnode.config('nova/nova-cpu.conf')
    assert _value(cpu, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    assert _value(cpu, 'oslo_messaging_notifications', 'transport_url') == (
        CONTROLLER_RABBIT)
    assert _value(cpu, *TOPICS) == 'notifications,stacktach'
    assert _value(cpu, 'notifications',
                  'versioned_notifications_topics') == 'stacktach'
    assert _value(cpu, 'notifications', 'notification_format') == 'both'
    assert _value(cpu, 'notifications', 'notify_on_state_change') == (
        'vm_and_task_state')
    assert _value(cpu, 'DEFAULT', 'instance_usage_audit') == 'True'
    assert _value(cpu, 'DEFAULT', 'instance_usage_audit_period') == 'hour'
    # devstack's own compute settings are there: it is its copy.
    assert 'connection' not in cpu.get('database', {})
    unit = harness.ini.parse(subnode.unit_file('n-cpu'))
    assert unit['Service']['ExecStart'][0].endswith(
        '--config-file %s' % subnode.path('nova/nova-cpu.conf'))


@pytest.mark.parametrize('name', ['cinder/cinder.conf',
                                  'neutron/neutron.conf'])
def test_subnode_volume_and_agents_send_to_stacktach(subnode, name):
    config = subnode.config(name)
    assert _value(config, 'oslo_messaging_notifications', 'driver') == (
        'messagingv2')
    assert _value(config, *TOPICS) == 'stacktach'


def test_subnode_runs_nothing_of_stacktach(subnode):
    assert subnode.records('setup_develop') == []
    assert not os.path.exists(subnode.path('stacktach-ng'))
    assert not [call for call in subnode.records()
                if any('stacktach' in arg for arg in call)
                and call[0] in ('systemctl', 'openstack', 'curl')]
    assert 'Sending notifications to stacktach-ng' in subnode.result.stdout


def test_controller_runs_the_services(tmp_path):
    devstack = harness.Devstack(
        tmp_path, services=None,
        localrc=guide_local_conf("The controller's ``local.conf``"))
    devstack.run('stack:post-config')
    config = devstack.config('stacktach-ng/stacktach-ng.conf')
    assert config['listener']['topics'] == ['stacktach']
    nova = devstack.config('nova/nova.conf')
    assert _value(nova, *TOPICS) == 'notifications,stacktach'


def test_producers_only_asked_for_on_a_node_with_the_database(tmp_path):
    devstack = harness.Devstack(tmp_path, STACKTACH_PRODUCERS_ONLY='True')
    devstack.run('stack:install', 'stack:post-config')
    assert devstack.records('setup_develop') == []
    assert not os.path.exists(devstack.stacktach_conf)
    nova = devstack.config('nova/nova.conf')
    assert _value(nova, 'notifications',
                  'versioned_notifications_topics') == 'stacktach'
