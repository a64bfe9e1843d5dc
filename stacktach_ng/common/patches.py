"""Every change stacktach-ng makes to a library's internals, in one place.

Each patch relies on how a library is built inside, which no release note
announces. So each has a guard that checks that shape first and raises
``LibraryChanged``, naming the library and its installed version, when it
is not what the patch expects: a changed library stops the process that
needs the patch at start-up, instead of the patch failing quietly (or
half-working) under load. Nothing is patched on import: the processes that
need a patch install it explicitly.

* ``install_api_speedups()``: Pecan, oslo.policy and oslo.middleware look
  up the argument spec of a function on every request; they get a cached
  one (the API entry points: ``stacktach-ng-api``, ``stacktach-ng-all``,
  the WSGI application).
* ``install_rabbit_message_class()``: oslo.messaging's rabbit driver
  drops a body it cannot decode; the listener gives it a message class
  that keeps such a body as poison (``listener.poison``) so that it is
  recorded as rejected (the listener service, when it starts).
* ``pass_redeliveries()``: the duplicate filter of oslo.messaging's AMQP
  listener drops redelivered messages without acknowledging them; the
  listener replaces it with one that lets them through (the listener
  service, on its started server).
* ``bound_ack_wait()``: oslo.messaging's AMQP listener sends the
  acknowledgements of a committed batch only when its polling thread
  stops waiting on the socket, a wait that grows to seconds when no
  message comes; the listener bounds it (the listener service, when it
  starts).
* ``check_notification_send()``: not a patch, but a call of a private
  method, ``Transport._send_notification``, by the traffic simulator's
  sink (which needs to keep the simulated message id and timestamp).

The libraries are imported by the function that patches them, not by this
module: a process loads only the libraries of the patches it installs (the
listener does not load Pecan, the simulator neither Pecan nor the rabbit
driver).
"""

import functools
import importlib.metadata
import inspect
import threading

_lock = threading.Lock()


class LibraryChanged(RuntimeError):
    """A patched library is not built as its patch expects."""

    def __init__(self, distribution, detail):
        self.distribution = distribution
        self.version = _version(distribution)
        super().__init__(
            '%s %s is not built as stacktach-ng expects (%s): the patch of '
            'stacktach_ng.common.patches for it must be updated for this '
            'version' % (distribution, self.version, detail))


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return '(version unknown)'


def _names_used(function):
    """The global and attribute names the code of ``function`` uses (of
    the function a decorator wraps: ``functools.wraps`` or webob's
    ``wsgify``)."""
    function = getattr(function, '__wrapped__', function)
    function = getattr(function, 'func', function)
    code = getattr(function, '__code__', None)
    return code.co_names if code is not None else ()


def _method(cls, name):
    """The function ``cls`` defines as ``name``, or None."""
    return getattr(cls, name, None) if cls is not None else None


def _require(distribution, condition, detail):
    if not condition:
        raise LibraryChanged(distribution, detail)


# -- Pecan, oslo.policy, oslo.middleware: cached argument specs -----------

def cached_spec(uncached):
    """``uncached`` (an argument spec function) computed once per function.

    Bound methods are new objects on every request: the cache is keyed by
    the function they wrap (the spec is the same, ``self`` included). What
    is not hashable is computed every time, as before.
    """
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

    cached.uncached = uncached
    return cached


class _CachedInspect:
    """The ``inspect`` module as ``oslo_policy._checks`` sees it: the
    same, with a cached ``getfullargspec``."""

    def __init__(self, getfullargspec):
        self.getfullargspec = getfullargspec

    def __getattr__(self, name):
        return getattr(inspect, name)


def check_pecan(pecan_util, pecan_compat):
    """``pecan.util.getargspec`` looks the spec up through the module
    global ``_getargspec`` (``pecan.compat.getargspec``)."""
    _require('pecan', callable(getattr(pecan_compat, 'getargspec', None)),
             'pecan.compat.getargspec is missing')
    _require('pecan', hasattr(pecan_util, '_getargspec'),
             'pecan.util._getargspec is missing')
    _require('pecan', '_getargspec' in _names_used(
        getattr(pecan_util, 'getargspec', None)),
        'pecan.util.getargspec no longer uses _getargspec')


def check_oslo_policy(policy_checks):
    """``oslo_policy._checks._check`` calls ``inspect.getfullargspec``
    through the module global ``inspect``."""
    _require('oslo.policy', hasattr(policy_checks, 'inspect'),
             'oslo_policy._checks does not import inspect')
    _require('oslo.policy', 'getfullargspec' in _names_used(
        getattr(policy_checks, '_check', None)),
        'oslo_policy._checks._check no longer calls getfullargspec')


def check_oslo_middleware(middleware_base):
    """``ConfigurableMiddleware.__call__`` calls the module global
    ``getfullargspec``."""
    _require('oslo.middleware',
             callable(getattr(middleware_base, 'getfullargspec', None)),
             'oslo_middleware.base.getfullargspec is missing')
    middleware = getattr(middleware_base, 'ConfigurableMiddleware', None)
    _require('oslo.middleware', 'getfullargspec' in _names_used(
        _method(middleware, '__call__')),
        'ConfigurableMiddleware.__call__ no longer calls getfullargspec')


def install_api_speedups():
    """Make Pecan, oslo.policy and oslo.middleware use cached argument
    specs; idempotent. Raises ``LibraryChanged`` (and patches nothing)
    when one of them changed.

    Pecan asks several times per routed request (and its
    ``compat.getargspec`` builds a new ``namedtuple`` class each time:
    about a millisecond of CPU per request); oslo.policy for every node of
    a rule it evaluates (half a millisecond for a nine-node rule);
    oslo.middleware after each of its middlewares.
    """
    # Here, not at the top: see the module's docstring.
    from oslo_middleware import base as middleware_base
    from oslo_policy import _checks as policy_checks
    from pecan import compat as pecan_compat
    from pecan import util as pecan_util

    check_pecan(pecan_util, pecan_compat)
    check_oslo_policy(policy_checks)
    check_oslo_middleware(middleware_base)
    with _lock:
        if not hasattr(pecan_util._getargspec, 'uncached'):
            pecan_util._getargspec = cached_spec(pecan_compat.getargspec)
        if not isinstance(policy_checks.inspect, _CachedInspect):
            policy_checks.inspect = _CachedInspect(
                cached_spec(inspect.getfullargspec))
        if not hasattr(middleware_base.getfullargspec, 'uncached'):
            middleware_base.getfullargspec = cached_spec(
                inspect.getfullargspec)


# -- oslo.messaging's rabbit driver: the message class --------------------

def check_rabbit_driver(impl_rabbit):
    """``Consumer._callback`` builds ``RabbitMessage(message)`` from the
    module global, and ``RabbitMessage`` is a dict whose acknowledge and
    requeue use ``_raw_message``. True of oslo.messaging 5.x up to 18.x at
    least."""
    message_cls = getattr(impl_rabbit, 'RabbitMessage', None)
    _require('oslo.messaging', isinstance(message_cls, type)
             and issubclass(message_cls, dict),
             'impl_rabbit.RabbitMessage is not a dict class')
    consumer = getattr(impl_rabbit, 'Consumer', None)
    _require('oslo.messaging', 'RabbitMessage' in _names_used(
        getattr(consumer, '_callback', None)),
        'impl_rabbit.Consumer._callback no longer builds RabbitMessage')
    for method in ('acknowledge', 'requeue'):
        _require('oslo.messaging', '_raw_message' in _names_used(
            getattr(message_cls, method, None)),
            'RabbitMessage.%s no longer uses _raw_message' % method)


def install_rabbit_message_class(make_class):
    """Replace the rabbit driver's ``RabbitMessage`` with
    ``make_class(RabbitMessage, deserialize_msg)``; idempotent (a class
    ``make_class`` made is recognised by its ``stacktach_ng_patch``
    attribute). Raises ``LibraryChanged`` when the driver changed.

    Done by replacing a module attribute because the driver offers no hook
    for it. It changes the driver for the whole process: install it only in
    a process that consumes nothing but notifications.
    """
    try:
        from oslo_messaging._drivers import common as rpc_common
        from oslo_messaging._drivers import impl_rabbit
    except ImportError as e:
        raise LibraryChanged('oslo.messaging',
                             'the rabbit driver does not import: %s' % e
                             ) from e
    with _lock:
        if getattr(impl_rabbit.RabbitMessage, 'stacktach_ng_patch', False):
            return
        check_rabbit_driver(impl_rabbit)
        _require('oslo.messaging',
                 callable(getattr(rpc_common, 'deserialize_msg', None)),
                 'oslo_messaging._drivers.common.deserialize_msg is missing')
        replacement = make_class(impl_rabbit.RabbitMessage,
                                 rpc_common.deserialize_msg)
        replacement.stacktach_ng_patch = True
        impl_rabbit.RabbitMessage = replacement


# -- oslo.messaging's AMQP listener: the duplicate filter -----------------

_UNIQUE_ID = '_unique_id'


class PassRedeliveries:
    """Stands in for the duplicate filter of oslo.messaging's AMQP listener
    (``AMQPListener.msg_id_cache``), letting every message through.

    That filter remembers the ``_unique_id`` of the last 16 messages the
    worker acknowledged and drops a message that arrives again with one of
    them, without acknowledging it. After a broker restart (or any lost
    connection) exactly those messages come back: their acknowledgement
    never reached the broker. Dropped yet unacknowledged, each keeps its
    place in the consumer's prefetch window (``rabbit_qos_prefetch_count``)
    for as long as the new connection lives; once they fill it, RabbitMQ
    delivers nothing more from that queue to the worker, and the rest of
    the queue waits until the worker reconnects again, which may be never.
    Nothing needs the filter: storing is idempotent on the message id, so a
    redelivery is stored once, counted as a duplicate and acknowledged.
    """

    def check_duplicate_message(self, message):
        # What the filter does besides: take the producer's id out.
        return message.pop(_UNIQUE_ID, None)

    def add(self, unique_id):
        pass


def check_duplicate_filter(amqpdriver, amqp):
    """``AMQPListener.__call__`` (each message it receives) asks
    ``self.msg_id_cache`` (an ``amqp._MsgIdCache``)
    ``check_duplicate_message`` and ``add``."""
    cache_cls = getattr(amqp, '_MsgIdCache', None)
    for method in ('check_duplicate_message', 'add'):
        _require('oslo.messaging', callable(getattr(cache_cls, method, None)),
                 'amqp._MsgIdCache.%s is missing' % method)
    listener_cls = getattr(amqpdriver, 'AMQPListener', None)
    _require('oslo.messaging', 'msg_id_cache' in _names_used(
        getattr(listener_cls, '__init__', None)),
        'AMQPListener no longer keeps a msg_id_cache')
    used = _names_used(_method(listener_cls, '__call__'))
    _require('oslo.messaging', 'msg_id_cache' in used
             and 'check_duplicate_message' in used,
             'AMQPListener no longer filters messages with msg_id_cache')


def pass_redeliveries(server):
    """Install ``PassRedeliveries`` in a started server's listener.

    False when the listener is not oslo.messaging's AMQP listener (another
    driver, which has no such filter); raises ``LibraryChanged`` when the
    AMQP listener changed.
    """
    from oslo_messaging._drivers import amqp
    from oslo_messaging._drivers import amqpdriver

    poll_listener = getattr(getattr(server, 'listener', None),
                            '_poll_style_listener', None)
    if not isinstance(poll_listener, amqpdriver.AMQPListener):
        return False
    check_duplicate_filter(amqpdriver, amqp)
    _require('oslo.messaging', hasattr(poll_listener, 'msg_id_cache'),
             'the AMQP listener has no msg_id_cache')
    # The polling thread already runs; it looks the filter up for every
    # message, so this one applies from the next message on.
    poll_listener.msg_id_cache = PassRedeliveries()
    return True


# -- oslo.messaging's AMQP listener: how late acknowledgements go out --

# The longest the polling thread waits on the socket before it sends the
# acknowledgements queued meanwhile (seconds).
ACK_WAIT_MAX = 0.02


def check_ack_wait(amqpdriver):
    """``AMQPListener.poll`` sends the acknowledgements queued by the
    batches' threads (``_message_operations_handler.process()``) only
    between two waits on the socket, and each wait that found nothing
    doubles the next one, up to the module's
    ``ACK_REQUEUE_EVERY_SECONDS_MAX``."""
    _require('oslo.messaging', isinstance(
        getattr(amqpdriver, 'ACK_REQUEUE_EVERY_SECONDS_MAX', None),
        (int, float)),
        'amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX is missing')
    poll = _method(getattr(amqpdriver, 'AMQPListener', None), 'poll')
    # poll() is wrapped by base.batch_poll_helper, without functools.wraps:
    # the function it wraps is in the wrapper's closure.
    used = set(_names_used(poll))
    for cell in getattr(poll, '__closure__', None) or ():
        if inspect.isfunction(cell.cell_contents):
            used.update(_names_used(cell.cell_contents))
    _require('oslo.messaging', 'ACK_REQUEUE_EVERY_SECONDS_MAX' in used
             and '_message_operations_handler' in used,
             'AMQPListener.poll no longer bounds its wait with '
             'ACK_REQUEUE_EVERY_SECONDS_MAX')


def bound_ack_wait(maximum=ACK_WAIT_MAX):
    """Bound the polling thread's wait on the socket to ``maximum``
    seconds, so that a batch's acknowledgements reach the broker within
    that time of its commit. Raises ``LibraryChanged`` when the listener
    changed.

    The rabbit driver is not thread-safe: a batch's thread queues its
    acknowledgements for the polling thread. That thread doubles its wait
    after every wait that found no message, up to 5 s (bounded by the
    batch timeout). While every message of the prefetch window is in a
    batch that is being stored, no message comes: the wait grows to
    hundreds of milliseconds, and the acknowledgements of a batch that
    just committed -- which would open the window again -- sit in the
    queue until it ends; the store process waits with them. The cost of
    the bound is a wake-up every ``maximum`` seconds of an idle listener.
    Process-wide: install it only in a process that consumes nothing but
    notifications (a listener worker).
    """
    from oslo_messaging._drivers import amqpdriver

    check_ack_wait(amqpdriver)
    with _lock:
        if amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX > maximum:
            amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX = maximum


# -- oslo.messaging's transport: the private send -------------------------

_SEND_PARAMETERS = ('target', 'ctxt', 'message', 'version', 'retry')


def check_notification_send(transport_cls=None):
    """``Transport._send_notification(target, ctxt, message, version,
    retry)`` exists: the simulator's sink sends through it."""
    if transport_cls is None:
        from oslo_messaging import transport as messaging_transport
        transport_cls = messaging_transport.Transport
    send = getattr(transport_cls, '_send_notification', None)
    _require('oslo.messaging', callable(send),
             'Transport._send_notification is missing')
    parameters = list(inspect.signature(send).parameters)[1:]
    _require('oslo.messaging',
             tuple(parameters[:len(_SEND_PARAMETERS)]) == _SEND_PARAMETERS,
             'Transport._send_notification takes (%s), not (%s)'
             % (', '.join(parameters), ', '.join(_SEND_PARAMETERS)))
