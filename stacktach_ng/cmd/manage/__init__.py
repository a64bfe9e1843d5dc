"""``stacktach-ng-manage``: administrative commands.

Each command family lives in its own module with an ``add_parsers``
function that adds argparse sub-parsers and sets ``func`` on them; the
function is called as ``func(conf, args)`` after the configuration is
parsed, and returns the process exit code.
"""

import sys

from oslo_config import cfg

from stacktach_ng import service
from stacktach_ng.cmd.manage import analysis
from stacktach_ng.cmd.manage import db
from stacktach_ng.cmd.manage import definitions
from stacktach_ng.cmd.manage import ingest
from stacktach_ng.cmd.manage import simulate
from stacktach_ng.cmd.manage import usage

# Modules contributing sub-commands, in the order of the help text.
COMMAND_MODULES = [db, ingest, simulate, usage, analysis, definitions]


def _add_command_parsers(subparsers):
    for module in COMMAND_MODULES:
        module.add_parsers(subparsers)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    command_opt = cfg.SubCommandOpt(
        'command', title='Commands', help='Available commands',
        handler=_add_command_parsers)
    conf = service.build_conf()
    conf.register_cli_opt(command_opt)
    try:
        conf = service.prepare_service(argv, conf=conf, register_gmr=False)
    except cfg.Error as e:
        sys.stderr.write('stacktach-ng-manage: %s\n' % e)
        return 2
    args = conf.command
    try:
        return args.func(conf, args) or 0
    except KeyboardInterrupt:
        sys.stderr.write('Interrupted.\n')
        return 130
