"""The ``openstack stacktach ...`` commands (an OpenStackClient plugin)."""
