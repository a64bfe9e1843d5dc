import os

from oslo_config import cfg

state_path_opt = cfg.StrOpt(
    'state_path',
    default=os.path.join(os.path.expanduser('~'), '.local', 'share',
                         'stacktach-ng'),
    help="""
Directory where stacktach-ng keeps its local state: the default SQLite
database and the all-in-one service's files.

Related options:

* ``[database] connection``: when left unset, a SQLite file
  ``stacktach-ng.sqlite`` under this directory is used.
""")

host_opt = cfg.StrOpt(
    'host',
    sample_default='<hostname>',
    default=os.uname().nodename,
    help="""
Name of this host as stacktach-ng reports it: in listener heartbeats, in
``stacktach-ng-status upgrade check`` and in log lines.
""")

ALL_OPTS = [state_path_opt, host_opt]


def register_opts(conf):
    conf.register_opts(ALL_OPTS)


def list_opts():
    return {'DEFAULT': ALL_OPTS}
