"""Configuration options of stacktach-ng, one module per option group.

Every module exposes ``register_opts(conf)`` and ``list_opts()``. There is
no global configuration object: ``stacktach_ng.service.prepare_service()``
builds a ``ConfigOpts``, registers every group on it with
``register_opts()``, and the daemons pass it down explicitly (the aodh and
ceilometer way), so tests and the all-in-one service can hold several.
"""

from stacktach_ng.conf import analysis
from stacktach_ng.conf import api
from stacktach_ng.conf import database
from stacktach_ng.conf import default
from stacktach_ng.conf import listener
from stacktach_ng.conf import retention
from stacktach_ng.conf import verifier

_MODULES = (default, database, listener, api, verifier, retention,
            analysis)


def register_opts(conf):
    for module in _MODULES:
        module.register_opts(conf)

