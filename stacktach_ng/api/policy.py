"""Policy checks and the project scope of a read.

Controllers call one of these at the top of every method (the ironic
way). The scope decides which project's rows a query returns; the query
functions enforce it in SQL, so a policy mistake in a controller cannot
leak rows of another project through a filter.
"""

import sys
import threading
import time

from oslo_policy import policy

from stacktach_ng import policies
from stacktach_ng import service
from stacktach_ng.api import errors
from stacktach_ng.policies import base

# The scope "every project" (queries take project_id=None for it).
ALL_PROJECTS = None


# Seconds between two looks at the policy files (``[oslo_policy]
# policy_file`` and ``policy_dirs``): a file created, changed or removed
# is in force this long after at most.
RELOAD_INTERVAL = 5.0


class _ThrottledEnforcer(policy.Enforcer):
    """oslo.policy's Enforcer, looking at the policy files at most once
    every ``RELOAD_INTERVAL`` seconds instead of at every check.

    oslo.policy calls ``load_rules()`` at the start of every check: when
    the policy file exists it compares its modification time, and when it
    does not (the usual case: the defaults are in code) it searches every
    configuration directory for it again, and for each ``policy_dirs``
    entry; several stat calls per check, a few checks per request. A
    deployment that adds or edits a policy file still gets it without a
    restart, a few seconds later.
    """

    def __init__(self, conf, interval=None):
        super().__init__(conf)
        self.interval = RELOAD_INTERVAL if interval is None else interval
        self._next_load = None
        self._load_lock = threading.Lock()

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if (not force_reload and self._next_load is not None
                and now < self._next_load):
            return
        # One thread looks at the files; the others keep checking with
        # the rules in force meanwhile.
        if not self._load_lock.acquire(blocking=self._next_load is None):
            return
        try:
            super().load_rules(force_reload)
            self._next_load = time.monotonic() + self.interval
        finally:
            self._load_lock.release()

    def clear(self):
        super().clear()
        self._next_load = None


class Enforcer:
    """The rules in code, overridden by ``[oslo_policy] policy_file``."""

    def __init__(self, conf):
        self._enforcer = _ThrottledEnforcer(conf)
        self._enforcer.register_defaults(policies.list_rules())
        # Load now, so that every request finds the rules in place (and a
        # broken policy file stops the API at its start, not at its first
        # request).
        self._enforcer.load_rules()

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
