"""The stacktach-ng client: a Python API and an ``openstack`` CLI plugin.

* ``stacktach_ng.client.v1.Client``: the REST API as Python methods
  returning parsed JSON, usable with a keystoneauth session (endpoint
  from the catalog, service type ``stacktach``) or with a plain endpoint
  and an optional token (an API running with ``auth_strategy = noauth``);
* ``stacktach_ng.client.exceptions``: the errors it raises;
* ``stacktach_ng.client.osc``: the ``openstack stacktach ...`` commands.
"""
