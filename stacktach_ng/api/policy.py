"""Policy checks and the project scope of a read.

Controllers call one of these at the top of every method (the ironic
way). The scope decides which project's rows a query returns; the query
functions enforce it in SQL, so a policy mistake in a controller cannot
leak rows of another project through a filter.
"""

import sys

from oslo_policy import policy

from stacktach_ng import policies
from stacktach_ng import service
from stacktach_ng.api import errors
from stacktach_ng.policies import base

# The scope "every project" (queries take project_id=None for it).
ALL_PROJECTS = None


class Enforcer:
    """The rules in code, overridden by ``[oslo_policy] policy_file``."""

    def __init__(self, conf):
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(policies.list_rules())

    def allowed(self, rule, context, target):
        try:
            return bool(self._enforcer.authorize(rule, target, context,
                                                 do_raise=False))
        except policy.InvalidScope:
            return False

    def authorize(self, rule, context, target):
        """Raise a 403 unless ``rule`` allows ``context`` on ``target``."""
        if not self.allowed(rule, context, target):
            raise errors.Forbidden(
                'Policy does not allow %s on this project.' % rule)


def get_enforcer():
    """The ``oslo.policy.enforcer`` entry point, for the oslopolicy tools
    (``oslopolicy-policy-generator``, ``oslopolicy-list-redundant``...).

    The tools call it without arguments; the configuration options they
    were given (``--config-file``, ``--config-dir``) are read from the
    command line, their own options are skipped.
    """
    conf_args = []
    args = sys.argv[1:]
    index = 0
    while index < len(args):
        if args[index].strip('-') in ('namespace', 'output-file', 'format'):
            index += 2
            continue
        conf_args.append(args[index])
        index += 1
    conf = service.build_conf()
    conf(conf_args, project=service.PROJECT)
    enforcer = Enforcer(conf)
    enforcer._enforcer.load_rules()
    return enforcer._enforcer


def _own_project(context):
    return {'project_id': context.project_id}


def list_scope(enforcer, context, rule, all_projects=False,
               project_id=None):
    """The project a list covers, after the policy checks.

    * ``project_id`` given: that project. Reading a project other than the
      token's needs ``stacktach:all_projects``.
    * ``all_projects`` true: every project (``ALL_PROJECTS``); needs
      ``stacktach:all_projects``.
    * neither: the token's project; a caller with no project (a
      system-scoped token, ``noauth``) who may read every project gets
      every project.

    :raises errors.Forbidden: when the policy says no.
    """
    if project_id is not None and project_id != context.project_id:
        enforcer.authorize(base.ALL_PROJECTS, context,
                           {'project_id': project_id})
        enforcer.authorize(rule, context, {'project_id': project_id})
        return project_id
    if all_projects and project_id is None:
        enforcer.authorize(base.ALL_PROJECTS, context, _own_project(context))
        enforcer.authorize(rule, context, _own_project(context))
        return ALL_PROJECTS
    enforcer.authorize(rule, context, _own_project(context))
    if context.project_id is None:
        # Only a cloud-wide reader gets here without a project; anyone
        # else has no project to be limited to.
        enforcer.authorize(base.ALL_PROJECTS, context, {'project_id': None})
        return ALL_PROJECTS
    return context.project_id


def show_scope(enforcer, context, rule):
    """The projects whose rows a show endpoint may return.

    A cloud-wide reader may show any id (as nova shows any server to an
    admin); everyone else only ids of the token's project, and another
    project's id is a 404, which says nothing about whether it exists.
    """
    enforcer.authorize(rule, context, _own_project(context))
    if enforcer.allowed(base.ALL_PROJECTS, context, _own_project(context)):
        return ALL_PROJECTS
    if context.project_id is None:
        raise errors.Forbidden('The token has no project.')
    return context.project_id


def authorize_global(enforcer, context, rule):
    """Check a rule of a cloud-wide resource such as ``/metrics``."""
    enforcer.authorize(rule, context, _own_project(context))
