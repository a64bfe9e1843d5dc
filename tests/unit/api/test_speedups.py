"""Argument specs of Pecan, oslo.policy and oslo.middleware, computed once
per function."""

import inspect

from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
from pecan import compat as pecan_compat
from pecan import util as pecan_util

from stacktach_ng.api import speedups


class _Controller:
    def get_one(self, resource_id, limit=None):
        return resource_id

    def get_all(self, *args, **kwargs):
        return args


def test_same_spec_as_pecan_for_bound_methods_and_functions():
    controller = _Controller()
    for method in (controller.get_one, controller.get_all,
                   _Controller.get_one, len):
        assert (speedups.cached_getargspec(method)
                == pecan_compat.getargspec(method))


def test_same_full_spec_as_inspect():
    controller = _Controller()
    check = policy_checks.RoleCheck('role', 'reader')
    for method in (controller.get_one, controller.get_all,
                   _Controller.get_one, check.__call__):
        assert (speedups.cached_getfullargspec(method)
                == inspect.getfullargspec(method))


def test_bound_methods_share_the_function_spec():
    first = speedups.cached_getargspec(_Controller().get_one)
    second = speedups.cached_getargspec(_Controller().get_one)
    assert first is second
    assert first.args == ['self', 'resource_id', 'limit']


def test_install_makes_the_libraries_use_it():
    speedups.install()
    assert pecan_util._getargspec is speedups.cached_getargspec
    assert pecan_util.getargspec(_Controller().get_one).args == [
        'self', 'resource_id', 'limit']
    assert (policy_checks.inspect.getfullargspec
            is speedups.cached_getfullargspec)
    # The rest of the inspect module is still there.
    assert policy_checks.inspect.isclass is inspect.isclass
    assert middleware_base.getfullargspec is speedups.cached_getfullargspec


def test_policy_checks_still_get_the_rule_name():
    """A check whose ``__call__`` takes ``current_rule`` gets it, one
    written for older oslo.policy does not (``_checks._check``)."""
    speedups.install()
    seen = []

    class Current(policy_checks.BaseCheck):
        def __str__(self):
            return 'current'

        def __call__(self, target, creds, enforcer, current_rule=None):
            seen.append(current_rule)
            return True

    class Legacy(policy_checks.BaseCheck):
        def __str__(self):
            return 'legacy'

        def __call__(self, target, creds, enforcer):
            seen.append('legacy')
            return True

    for _ in range(2):
        assert policy_checks._check(Current(), {}, {}, None, 'rule-a')
        assert policy_checks._check(Legacy(), {}, {}, None, 'rule-b')
    assert seen == ['rule-a', 'legacy', 'rule-a', 'legacy']
