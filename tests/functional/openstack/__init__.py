"""A real OpenStack control plane, from pinned PyPI releases, as the oracle
of stacktach-ng's analyses.

``cloud`` brings up Keystone, Placement, Glance, neutron-server, nova-api,
nova-conductor, nova-scheduler and two nova-compute hosts (fake virt
driver) on the machine's RabbitMQ (a vhost of its own) and MariaDB
(databases of its own), with the notification settings that the devstack
plugin writes. ``scenario`` drives it with the ``openstack`` client,
``capture`` keeps a copy of every notification sent to the stacktach
topic and ``records`` reads what Nova itself recorded.

``python -m tests.functional.openstack --capture DIR`` runs the scenario
and writes its traffic and Nova's records to DIR (see
tests/fixtures/openstack/SOURCES.rst).
"""
