"""Pecan hooks: what every request carries, and its errors as JSON."""

from pecan import hooks

from stacktach_ng.api import context
from stacktach_ng.api import errors


class ConfigHook(hooks.PecanHook):
    """Attach the configuration to the request (``request.conf``)."""

    def __init__(self, conf):
        self.conf = conf

    def before(self, state):
        state.request.conf = self.conf


class DBHook(hooks.PecanHook):
    """Attach the ``Database`` to the request (``request.database``)."""

    def __init__(self, database):
        self.database = database

    def before(self, state):
        state.request.database = self.database


class ContextHook(hooks.PecanHook):
    """Attach the caller (``request.context``) and the policy enforcer
    (``request.enforcer``)."""

    def __init__(self, auth_strategy, enforcer):
        self.auth_strategy = auth_strategy
        self.enforcer = enforcer

    def before(self, state):
        state.request.context = context.RequestContext.from_environ(
            state.request.environ, auth_strategy=self.auth_strategy)
        state.request.enforcer = self.enforcer


class JsonErrorHook(hooks.PecanHook):
    """Answer every error raised under Pecan (by a controller or by the
    router) in the JSON error shape of ``stacktach_ng.api.errors``."""

    def on_error(self, state, exc):
        return errors.from_exception(exc)
