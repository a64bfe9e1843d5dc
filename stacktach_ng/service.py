"""Process set-up shared by every stacktach-ng command."""

import sys

from oslo_config import cfg
from oslo_log import log
from oslo_reports import guru_meditation_report as gmr
from oslo_reports import opts as gmr_opts

from stacktach_ng import conf as st_conf
from stacktach_ng import version
from stacktach_ng.conf import database as db_conf

PROJECT = 'stacktach-ng'

_QUIET_LIBRARIES = [
    'kombu=WARN', 'amqp=ERROR', 'stevedore=INFO', 'alembic=WARN',
    'oslo_messaging._drivers.impl_rabbit=INFO', 'keystonemiddleware=INFO',
]


def build_conf():
    """A ``ConfigOpts`` with every stacktach-ng option registered."""
    conf = cfg.ConfigOpts()
    st_conf.register_opts(conf)
    log.register_options(conf)
    gmr_opts.set_defaults(conf)
    return conf


def prepare_service(argv=None, config_files=None, register_gmr=True,
                    setup_logging=True, conf=None):
    """Parse the command line and config files, set up logging and GMR.

    :param argv: the command line, program name first (default sys.argv).
    :param config_files: config files to read instead of the default
        search path (``/etc/stacktach-ng/stacktach-ng.conf`` ...).
    :param conf: a ``ConfigOpts`` from ``build_conf()`` with extra command
        line options registered; a new one by default.
    :returns: the parsed ``ConfigOpts``.
    """
    if argv is None:
        argv = sys.argv
    if conf is None:
        conf = build_conf()
    log.set_defaults(
        default_log_levels=log.get_default_log_levels() + _QUIET_LIBRARIES)
    conf(argv[1:], project=PROJECT, validate_default_values=True,
         version=version.version_info.version_string(),
         default_config_files=config_files)
    finish_conf(conf)
    if setup_logging:
        log.setup(conf, PROJECT)
    if register_gmr:
        gmr.TextGuruMeditation.setup_autorun(version.version_info, conf=conf)
    return conf


def finish_conf(conf):
    """Fill the defaults that depend on other options.

    ``[database] connection`` defaults to a SQLite file under
    ``state_path`` so that no config file is needed to get started.
    """
    if not conf.database.connection:
        conf.set_default('connection',
                         db_conf.default_connection(conf.state_path),
                         group='database')
    return conf
