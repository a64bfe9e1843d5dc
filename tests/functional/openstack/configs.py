"""The configuration files of the cloud's services.

Each service first gets the file devstack would have written for it before
the plugins' post-config phase (its database, keystone_authtoken, ...;
for notifications, what devstack itself sets: the messagingv2 driver for
nova and glance, nova's ``unversioned`` format). Then the stacktach-ng
devstack plugin's own ``stack post-config`` phase runs over those files
through the plugin test harness (real ini edits), exactly as on a
devstack: the notification settings of the cloud are the plugin's, never
restated here (the plugins' phases only: devstack's own
configure_neutron_nova would rewrite nova.conf's [neutron] for the
harness's devstack, not for this cloud). The harness also leaves the
plugin's stacktach-ng.conf.

nova-compute's files (one per host) are copies of a plugin-edited
nova.conf without database access, as devstack's nova-cpu.conf: the
controller's for the first host; for the second, the nova.conf of a
devstack compute subnode, where the plugin runs producers-only
(``SUBNODE_SERVICES``: no database, so none of stacktach-ng's services).
"""

import os
import shutil
import string
import tempfile

from tests.functional.devstack import harness
from tests.functional.devstack import ini

# The devstack services of this cloud: the plugin configures the producers
# that are enabled.
ENABLED_SERVICES = ('key,n-api,n-cpu,n-cond,n-sch,placement-api,g-api,'
                    'q-svc,mysql,rabbit')
# A compute subnode's: nova-compute alone.
SUBNODE_SERVICES = 'n-cpu,placement-client'

_AUTHTOKEN = """
[keystone_authtoken]
www_authenticate_uri = $keystone_url
auth_url = $keystone_url
auth_type = password
username = $user
password = $service_password
user_domain_name = Default
project_name = service
project_domain_name = Default
service_token_roles_required = True
"""


def _service_auth(section, user='nova'):
    return """
[%s]
auth_type = password
auth_url = $keystone_url
username = %s
password = $service_password
user_domain_name = Default
project_name = service
project_domain_name = Default
region_name = RegionOne
""" % (section, user)


KEYSTONE = """
[DEFAULT]
debug = True

[database]
connection = $db_keystone

[fernet_tokens]
key_repository = $workdir/keystone/fernet-keys

[credential]
key_repository = $workdir/keystone/credential-keys

[token]
provider = fernet

[oslo_messaging_notifications]
transport_url = $transport_url
"""

PLACEMENT = """
[DEFAULT]
debug = True

[api]
auth_strategy = keystone

[placement_database]
connection = $db_placement
""" + _AUTHTOKEN.replace('$user', 'placement')

GLANCE = """
[DEFAULT]
debug = True
transport_url = $transport_url
worker_self_reference_url = $glance_url
enabled_backends = local:file

[database]
connection = $db_glance

[paste_deploy]
flavor = keystone

[glance_store]
default_backend = local

[local]
filesystem_store_datadir = $workdir/glance/images

[os_glance_staging_store]
filesystem_store_datadir = $workdir/glance/staging

[os_glance_tasks_store]
filesystem_store_datadir = $workdir/glance/tasks

[oslo_concurrency]
lock_path = $workdir/glance/locks

[oslo_messaging_notifications]
driver = messagingv2
""" + _AUTHTOKEN.replace('$user', 'glance')

NEUTRON = """
[DEFAULT]
debug = True
transport_url = $transport_url
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
state_path = $workdir/neutron
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False

[database]
connection = $db_neutron

[oslo_concurrency]
lock_path = $workdir/neutron/locks

[oslo_messaging_notifications]
""" + _AUTHTOKEN.replace('$user', 'neutron') + _service_auth('nova')

NEUTRON_ML2 = """
[ml2]
type_drivers = flat,vlan
tenant_network_types =
mechanism_drivers =
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *
"""

NOVA = """
[DEFAULT]
debug = True
transport_url = $transport_url
my_ip = 127.0.0.1
state_path = $workdir/nova

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = $workdir/nova/api-paste.ini

[api_database]
connection = $db_nova_api

[database]
connection = $db_nova

[conductor]
workers = 1

[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1

[oslo_concurrency]
lock_path = $workdir/nova/locks

[oslo_messaging_notifications]
driver = messagingv2
transport_url = $transport_url

[notifications]
notification_format = unversioned
""" + (_AUTHTOKEN.replace('$user', 'nova') + _service_auth('placement')
       + _service_auth('neutron') + _service_auth('glance')
       + _service_auth('service_user'))


def _render(template, values):
    text = string.Template(template).substitute(values)
    # The harness formats the files it writes with str.format.
    return text.replace('{', '{{').replace('}', '}}')


def write_all(workdir, values):
    """Write every config file under ``workdir``; returns their paths."""
    values = dict(values, workdir=workdir)
    for directory in ('keystone', 'placement', 'glance', 'neutron', 'nova',
                      'stacktach-ng'):
        os.makedirs(os.path.join(workdir, directory), exist_ok=True)
    # Before the plugin: what devstack would have written.
    produced = {
        'keystone/keystone.conf': _render(KEYSTONE, values),
        'glance/glance-api.conf': _render(GLANCE, values),
        'neutron/neutron.conf': _render(NEUTRON, values),
        'nova/nova.conf': _render(NOVA, values),
    }
    with tempfile.TemporaryDirectory() as root:
        devstack = harness.Devstack(root, services=ENABLED_SERVICES,
                                    configs=produced, plugins_only=True)
        devstack.run('stack:post-config')
        for name in produced:
            shutil.copy(devstack.path(name), os.path.join(workdir, name))
        shutil.copy(devstack.stacktach_conf,
                    os.path.join(workdir, 'stacktach-ng',
                                 'stacktach-ng.plugin.conf'))
    with tempfile.TemporaryDirectory() as root:
        subnode = harness.Devstack(
            root, services=SUBNODE_SERVICES, plugins_only=True,
            configs={'nova/nova.conf': produced['nova/nova.conf']})
        subnode.run('stack:post-config')
        assert not os.path.exists(subnode.stacktach_conf)
        shutil.copy(subnode.path('nova/nova.conf'),
                    os.path.join(workdir, 'nova', 'nova-subnode.conf'))
    _write(os.path.join(workdir, 'placement', 'placement.conf'),
           string.Template(PLACEMENT).substitute(values))
    _write(os.path.join(workdir, 'neutron', 'ml2_conf.ini'), NEUTRON_ML2)
    paths = {
        'keystone': os.path.join(workdir, 'keystone', 'keystone.conf'),
        'placement': os.path.join(workdir, 'placement', 'placement.conf'),
        'glance': os.path.join(workdir, 'glance', 'glance-api.conf'),
        'neutron': os.path.join(workdir, 'neutron', 'neutron.conf'),
        'neutron_ml2': os.path.join(workdir, 'neutron', 'ml2_conf.ini'),
        'nova': os.path.join(workdir, 'nova', 'nova.conf'),
        'nova_subnode': os.path.join(workdir, 'nova', 'nova-subnode.conf'),
        'stacktach_plugin': os.path.join(workdir, 'stacktach-ng',
                                         'stacktach-ng.plugin.conf'),
    }
    return paths


def write_compute(workdir, nova_conf, host, driver):
    """nova-compute's own file for ``host``: nova.conf as the plugin left
    it, without database access ("No DB access allowed" otherwise)."""
    path = os.path.join(workdir, 'nova', 'nova-cpu-%s.conf' % host)
    shutil.copy(nova_conf, path)
    ini.delete(path, 'database', 'connection')
    ini.delete(path, 'api_database', 'connection')
    ini.set_value(path, 'DEFAULT', 'host', host)
    ini.set_value(path, 'DEFAULT', 'compute_driver', driver)
    ini.set_value(path, 'DEFAULT', 'state_path',
                  os.path.join(workdir, 'nova', host))
    ini.set_value(path, 'oslo_concurrency', 'lock_path',
                  os.path.join(workdir, 'nova', host, 'locks'))
    return path


def _write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text.lstrip())


def notification_settings(path):
    """The notification options of one file, for the record."""
    parsed = ini.parse(path)
    wanted = {}
    for section in ('oslo_messaging_notifications', 'notifications'):
        for option, values in parsed.get(section, {}).items():
            if option in ('transport_url',):
                continue
            wanted['%s.%s' % (section, option)] = values[-1]
    for option in ('instance_usage_audit', 'instance_usage_audit_period'):
        if option in parsed.get('DEFAULT', {}):
            wanted['DEFAULT.%s' % option] = parsed['DEFAULT'][option][-1]
    return wanted
