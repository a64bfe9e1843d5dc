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

resource_definitions_opt = cfg.StrOpt(
    'resource_definitions',
    help="""
A YAML file of resource definitions: which resource, state, service and
operation each notification's event type carries, read with JSONPath
(see the admin guide's "Resource definitions"). Its definitions are tried
before the defaults shipped with stacktach-ng and replace a default of the
same name, so a service the defaults do not know is added by YAML alone.
Unset: the defaults only. The file is checked when a service starts, which
refuses to start on an invalid one (the error names the file and line);
``stacktach-ng-manage definitions check FILE`` checks one offline.
""")

ALL_OPTS = [state_path_opt, host_opt, resource_definitions_opt]


def register_opts(conf):
    conf.register_opts(ALL_OPTS)


def list_opts():
    return {'DEFAULT': ALL_OPTS}
