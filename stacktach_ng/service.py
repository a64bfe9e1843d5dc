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


def snapshot_conf(conf):
    """Every registered option's value: {group or None: {name: value}}.

    Only what a child can set again matters: values are plain data
    (strings, numbers, lists, dicts). Command-line-only options (the
    config file list) are left out: the values read from the files are in
    the snapshot already.
    """
    values = {None: {}}
    for name in conf:
        try:
            value = conf[name]
        except cfg.Error:
            continue
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            group = values.setdefault(name, {})
            for option in value:
                try:
                    group[option] = value[option]
                except cfg.Error:
                    continue
        elif name not in ('config_file', 'config_dir', 'config_source'):
            values[None][name] = value
    return values


def restore_conf(conf, values):
    """Set the snapshot's values on ``conf`` (registered options only)."""
    for group, options in values.items():
        for name, value in options.items():
            try:
                conf.set_override(name, value, group=group)
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                # An option of a library the child does not load.
                continue
