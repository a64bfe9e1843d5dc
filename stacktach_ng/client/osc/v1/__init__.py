"""Commands of ``openstack stacktach``, one module per resource."""
