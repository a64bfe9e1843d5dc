"""Pecan's argument specs, computed once per function."""

from pecan import compat as pecan_compat
from pecan import util as pecan_util

from stacktach_ng.api import pecan_speedups


class _Controller:
    def get_one(self, resource_id, limit=None):
        return resource_id

    def get_all(self, *args, **kwargs):
        return args


def test_same_spec_as_pecan_for_bound_methods_and_functions():
    controller = _Controller()
    for method in (controller.get_one, controller.get_all,
                   _Controller.get_one, len):
        assert (pecan_speedups.cached_getargspec(method)
                == pecan_compat.getargspec(method))


def test_bound_methods_share_the_function_spec():
    first = pecan_speedups.cached_getargspec(_Controller().get_one)
    second = pecan_speedups.cached_getargspec(_Controller().get_one)
    assert first is second
    assert first.args == ['self', 'resource_id', 'limit']


def test_install_makes_pecan_routing_use_it():
    pecan_speedups.install()
    assert pecan_util._getargspec is pecan_speedups.cached_getargspec
    assert pecan_util.getargspec(_Controller().get_one).args == [
        'self', 'resource_id', 'limit']
