"""Entry points for oslo-config-generator (namespace ``stacktach-ng``)."""

import collections

from stacktach_ng.conf import analysis
from stacktach_ng.conf import api
from stacktach_ng.conf import database
from stacktach_ng.conf import default
from stacktach_ng.conf import listener
from stacktach_ng.conf import retention
from stacktach_ng.conf import verifier

_MODULES = (default, listener, api, verifier, retention, analysis)


def list_opts():
    grouped = collections.OrderedDict()
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())


def set_defaults():
    from stacktach_ng import conf
    database.set_defaults(conf.CONF)
