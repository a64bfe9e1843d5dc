"""The ``[database]`` group belongs to oslo.db; this module only sets the
stacktach-ng default for ``connection``."""

import os

from oslo_db import options as db_options

DEFAULT_SQLITE_NAME = 'stacktach-ng.sqlite'


def default_connection(state_path):
    return 'sqlite:///' + os.path.join(state_path, DEFAULT_SQLITE_NAME)


def register_opts(conf):
    db_options.set_defaults(conf)


def set_defaults(conf):
    """Default ``[database] connection`` to a SQLite file in state_path."""
    db_options.set_defaults(
        conf, connection=default_connection(conf.state_path))


def list_opts():
    # oslo.db publishes its own options through the 'oslo.db' namespace of
    # oslo-config-generator; nothing is added here.
    return {}
