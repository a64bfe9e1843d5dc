"""The patches of libraries' internals: what each does, and its guard,
which passes on the installed version and fails loudly on a changed one."""

import inspect
import types

import pytest
from oslo_messaging import transport as messaging_transport
from oslo_messaging._drivers import amqp as rpc_amqp
from oslo_messaging._drivers import amqpdriver
from oslo_messaging._drivers import impl_rabbit
from oslo_middleware import base as middleware_base
from oslo_policy import _checks as policy_checks
from pecan import compat as pecan_compat
from pecan import util as pecan_util

from stacktach_ng.common import patches

cached_getargspec = patches.cached_spec(pecan_compat.getargspec)
cached_getfullargspec = patches.cached_spec(inspect.getfullargspec)


class _Controller:
    def get_one(self, resource_id, limit=None):
        return resource_id

    def get_all(self, *args, **kwargs):
        return args


def test_same_spec_as_pecan_for_bound_methods_and_functions():
    controller = _Controller()
    for method in (controller.get_one, controller.get_all,
                   _Controller.get_one, len):
        assert (cached_getargspec(method)
                == pecan_compat.getargspec(method))


def test_same_full_spec_as_inspect():
    controller = _Controller()
    check = policy_checks.RoleCheck('role', 'reader')
    for method in (controller.get_one, controller.get_all,
                   _Controller.get_one, check.__call__):
        assert (cached_getfullargspec(method)
                == inspect.getfullargspec(method))


def test_bound_methods_share_the_function_spec():
    first = cached_getargspec(_Controller().get_one)
    second = cached_getargspec(_Controller().get_one)
    assert first is second
    assert first.args == ['self', 'resource_id', 'limit']


def test_install_makes_the_libraries_use_cached_specs():
    patches.install_api_speedups()
    installed = (pecan_util._getargspec,
                 policy_checks.inspect.getfullargspec,
                 middleware_base.getfullargspec)
    assert installed[0].uncached is pecan_compat.getargspec
    assert pecan_util.getargspec(_Controller().get_one).args == [
        'self', 'resource_id', 'limit']
    assert installed[1].uncached is inspect.getfullargspec
    # The rest of the inspect module is still there.
    assert policy_checks.inspect.isclass is inspect.isclass
    assert installed[2].uncached is inspect.getfullargspec
    patches.install_api_speedups()  # idempotent: nothing wrapped twice
    assert (pecan_util._getargspec, policy_checks.inspect.getfullargspec,
            middleware_base.getfullargspec) == installed


def test_policy_checks_still_get_the_rule_name():
    """A check whose ``__call__`` takes ``current_rule`` gets it, one
    written for older oslo.policy does not (``_checks._check``)."""
    patches.install_api_speedups()
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


# -- the guards -------------------------------------------------------------

def _changed(message, distribution):
    """A ``pytest.raises`` for a LibraryChanged naming the library and its
    version."""
    return pytest.raises(patches.LibraryChanged,
                         match=r'^%s \S+ is not built as stacktach-ng '
                               r'expects \(%s' % (distribution, message))


def test_guards_pass_on_the_installed_libraries():
    patches.check_pecan(pecan_util, pecan_compat)
    patches.check_oslo_policy(policy_checks)
    patches.check_oslo_middleware(middleware_base)
    patches.check_rabbit_driver(impl_rabbit)
    patches.check_duplicate_filter(amqpdriver, rpc_amqp)
    patches.check_notification_send()


def test_pecan_guard_fails_on_a_changed_pecan():
    def getargspec(method):
        return inspect.getfullargspec(method)

    changed = types.SimpleNamespace(getargspec=getargspec,
                                    _getargspec=pecan_compat.getargspec)
    with _changed('pecan.util.getargspec no longer uses', 'pecan'):
        patches.check_pecan(changed, pecan_compat)
    with _changed('pecan.util._getargspec is missing', 'pecan'):
        patches.check_pecan(types.SimpleNamespace(), pecan_compat)


def test_oslo_policy_guard_fails_on_a_changed_oslo_policy():
    def _check(rule, target, creds, enforcer, current_rule):
        return rule(target, creds, enforcer, current_rule)

    with _changed('oslo_policy._checks._check no longer', 'oslo.policy'):
        patches.check_oslo_policy(types.SimpleNamespace(
            inspect=inspect, _check=_check))
    with _changed('oslo_policy._checks does not import', 'oslo.policy'):
        patches.check_oslo_policy(types.SimpleNamespace(_check=_check))


def test_oslo_middleware_guard_fails_on_a_changed_oslo_middleware():
    class ConfigurableMiddleware:
        def __call__(self, req):
            return self.process_response(req)

    with _changed('ConfigurableMiddleware.__call__ no longer',
                  'oslo.middleware'):
        patches.check_oslo_middleware(types.SimpleNamespace(
            getfullargspec=inspect.getfullargspec,
            ConfigurableMiddleware=ConfigurableMiddleware))


def test_rabbit_guard_fails_on_a_changed_driver():
    class RabbitMessage(dict):
        def acknowledge(self):
            self.message.ack()

        def requeue(self):
            self.message.requeue()

    with _changed('RabbitMessage.acknowledge no longer', 'oslo.messaging'):
        patches.check_rabbit_driver(types.SimpleNamespace(
            RabbitMessage=RabbitMessage, Consumer=impl_rabbit.Consumer))
    with _changed('impl_rabbit.RabbitMessage is not a dict',
                  'oslo.messaging'):
        patches.check_rabbit_driver(types.SimpleNamespace(
            RabbitMessage=object, Consumer=impl_rabbit.Consumer))


def test_rabbit_message_class_is_installed_once(monkeypatch):
    made = []

    def make_class(base, deserialize_msg):
        made.append(base)
        return type(base.__name__, (base,), {})

    # The driver's own class, even if a listener of this process patched it.
    original = impl_rabbit.RabbitMessage
    while getattr(original, 'stacktach_ng_patch', False):
        original = original.__mro__[1]
    monkeypatch.setattr(impl_rabbit, 'RabbitMessage', original)
    patches.install_rabbit_message_class(make_class)
    patches.install_rabbit_message_class(make_class)
    assert made == [original]
    assert impl_rabbit.RabbitMessage.__mro__[1] is original


def test_duplicate_filter_guard_fails_on_a_changed_listener():
    class AMQPListener:
        def __init__(self):
            self.seen = set()

        def __call__(self, message):
            return message

    with _changed('AMQPListener no longer keeps a msg_id_cache',
                  'oslo.messaging'):
        patches.check_duplicate_filter(
            types.SimpleNamespace(AMQPListener=AMQPListener), rpc_amqp)
    with _changed(r'amqp._MsgIdCache.add is missing', 'oslo.messaging'):
        patches.check_duplicate_filter(amqpdriver, types.SimpleNamespace(
            _MsgIdCache=type('_MsgIdCache', (), {
                'check_duplicate_message': lambda self, m: None})))


class _Server:
    def __init__(self, poller):
        self.listener = types.SimpleNamespace(_poll_style_listener=poller)


def _amqp_listener():
    # The real class, without its connection.
    listener = amqpdriver.AMQPListener.__new__(amqpdriver.AMQPListener)
    listener.msg_id_cache = rpc_amqp._MsgIdCache()
    return listener


def test_redeliveries_pass_the_replaced_duplicate_filter():
    poller = _amqp_listener()
    assert patches.pass_redeliveries(_Server(poller))
    cache = poller.msg_id_cache
    message = {'_unique_id': 'u-1', 'event_type': 'x'}
    # Seen once, acknowledged, then delivered again after a reconnection:
    # it must come through, the producer's id taken out as before.
    for _ in range(2):
        delivered = dict(message)
        assert cache.check_duplicate_message(delivered) == 'u-1'
        cache.add('u-1')
        assert '_unique_id' not in delivered


def test_drivers_without_a_duplicate_filter_are_left_alone():
    assert not patches.pass_redeliveries(_Server(object()))


def test_notification_send_guard_fails_on_a_changed_transport():
    class Transport(messaging_transport.Transport):
        def _send_notification(self, target, message, version):
            pass

    with _changed(r'Transport._send_notification takes \(target, message',
                  'oslo.messaging'):
        patches.check_notification_send(Transport)
    with _changed('Transport._send_notification is missing',
                  'oslo.messaging'):
        patches.check_notification_send(object)


def test_ack_wait_guard_fails_on_a_changed_listener():
    class AMQPListener:
        def poll(self, timeout=None):
            return self.conn.consume(timeout=timeout)

    with _changed('AMQPListener.poll no longer bounds its wait',
                  'oslo.messaging'):
        patches.check_ack_wait(types.SimpleNamespace(
            ACK_REQUEUE_EVERY_SECONDS_MAX=5.0, AMQPListener=AMQPListener))
    with _changed('amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX is missing',
                  'oslo.messaging'):
        patches.check_ack_wait(types.SimpleNamespace(
            AMQPListener=amqpdriver.AMQPListener))


def test_ack_wait_is_bounded_never_raised(monkeypatch):
    monkeypatch.setattr(amqpdriver, 'ACK_REQUEUE_EVERY_SECONDS_MAX', 5.0)
    patches.bound_ack_wait(0.02)
    assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX == 0.02
    # A tighter bound already in place is kept.
    patches.bound_ack_wait(0.5)
    assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX == 0.02
