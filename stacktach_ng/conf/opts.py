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
    """Our defaults of library options, for oslo-config-generator.

    There is no global configuration object: this changes the library's
    option objects, as the generator and the documentation read them.
    """
    from oslo_config import cfg
    from oslo_db import options as db_options
    cfg.set_defaults(db_options.database_opts,
                     connection=database.default_connection('$state_path'))
