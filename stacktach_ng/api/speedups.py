"""Argument specs computed once per function instead of on every request.

Three libraries of the request path look up the argument spec of a
function for every request, although the spec of a function never
changes:

* Pecan, several times per routed request (``pecan.util.getargspec``),
  and its ``pecan.compat.getargspec`` builds a new ``namedtuple`` class
  each time: about a millisecond of CPU per request;
* oslo.policy, for every node of a rule it evaluates
  (``oslo_policy._checks._check`` asks whether the check's ``__call__``
  takes ``current_rule``): ``rule:cloud_reader or rule:project_reader``
  is nine nodes, half a millisecond per request;
* oslo.middleware, after each of its middlewares (``request_id``,
  ``cors``, ``http_proxy_to_wsgi``), to know whether ``process_response``
  takes the request.

Each gets a cached spec instead. Bound methods are new objects on every
request: the cache is keyed by the function they wrap (the spec is the
same, ``self`` included). What is not hashable is computed every time, as
before.
"""

import functools
import inspect

from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
from pecan import compat as pecan_compat
from pecan import util as pecan_util

_uncached_getargspec = pecan_compat.getargspec
_uncached_getfullargspec = inspect.getfullargspec


def _cached(uncached):
    @functools.lru_cache(maxsize=4096)
    def spec_of(function):
        return uncached(function)

    @functools.wraps(uncached)
    def cached(method):
        function = getattr(method, '__func__', method)
        try:
            return spec_of(function)
        except TypeError:
            return uncached(method)

    return cached


cached_getargspec = _cached(_uncached_getargspec)
cached_getfullargspec = _cached(_uncached_getfullargspec)


class _Inspect:
    """The ``inspect`` module as ``oslo_policy._checks`` sees it: the
    same, with a cached ``getfullargspec``."""

    getfullargspec = staticmethod(cached_getfullargspec)

    def __getattr__(self, name):
        return getattr(inspect, name)


def install():
    """Make Pecan, oslo.policy and oslo.middleware use the cached specs;
    idempotent."""
    pecan_util._getargspec = cached_getargspec
    policy_checks.inspect = _Inspect()
    middleware_base.getfullargspec = cached_getfullargspec
