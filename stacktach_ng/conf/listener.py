from oslo_config import cfg

from stacktach_ng.conf import groups

listener_group = cfg.OptGroup(
    'listener',
    title='Notification listener options',
    help="""
How ``stacktach-ng-listener`` consumes notifications from the message bus:
which exchanges and topics it listens to, how it batches, and which handlers
process every batch.
""")

DEFAULT_EXCHANGES = [
    'nova', 'glance', 'cinder', 'neutron', 'keystone', 'heat', 'ironic',
    'designate', 'octavia', 'placement', 'manila', 'trove', 'magnum',
    'openstack',
]

DEFAULT_HANDLERS = ['notifications', 'lifecycle', 'timings', 'open_work',
                    'traces', 'errors', 'summary', 'usage', 'rollups']

ALL_OPTS = [
    cfg.ListOpt(
        'exchanges',
        default=DEFAULT_EXCHANGES,
        help="""
Control exchanges to consume notifications from. Each OpenStack service
publishes to its own exchange (``control_exchange`` of that service, usually
its name). A listener binds one queue per topic, priority and exchange.

Possible values:

* A list of exchange names. An exchange that no service uses costs one idle
  binding and nothing else.

Related options:

* ``topics``: the topics consumed on each of these exchanges.
"""),
    cfg.ListOpt(
        'topics',
        default=['stacktach'],
        help="""
Notification topics to consume. The default ``stacktach`` topic must be
added to each service's ``[oslo_messaging_notifications] topics`` (the
devstack plugin does this). It is deliberately not ``notifications``:
consuming Ceilometer's topic would steal its messages.

RabbitMQ queues are named ``<topic>.<priority>``, so one topic means seven
queues (audit, debug, info, warn, error, critical, sample).

Related options:

* ``pool``: share the queues with other consumers or not.
"""),
    cfg.StrOpt(
        'pool',
        help="""
Listener pool name. Listeners with the same pool name share the messages
(each message goes to one of them); listeners in different pools each get
every message. Leave unset to consume the topic queues directly.

With RabbitMQ a pool is a queue of its own named after the pool.
"""),
    cfg.IntOpt(
        'batch_size',
        mutable=True,
        default=500,
        min=1,
        help="""
Maximum number of notifications processed and committed in one database
transaction. Larger batches mean fewer transactions and a higher ingest
rate; a batch is acknowledged only after its transaction commits.

Related options:

* ``batch_timeout``: a partial batch is processed after that many seconds.
* ``[oslo_messaging_rabbit] rabbit_qos_prefetch_count`` caps the batch size
  when it is set (0 means no cap).

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.IntOpt(
        'batch_timeout',
        mutable=True,
        default=1,
        min=1,
        help="""
Seconds to wait for a batch to fill before processing what has arrived.
This bounds how stale the stored data is under low traffic.

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.IntOpt(
        'workers',
        default=1,
        min=1,
        help="""
Number of listener worker processes. Workers share the same queues, so more
workers drain a busy bus faster. On SQLite keep one worker: SQLite has one
writer at a time.
"""),
    cfg.IntOpt(
        'concurrent_batches',
        mutable=True,
        default=2,
        min=1,
        help="""
Number of batches a worker processes at the same time, each in its own
database transaction. Two keep the store process (or the database) busy
while the next batch is read from the bus; more only hold messages in
memory and add lock contention, unless ``store_processes`` is raised too
(keep this at least ``store_processes + 1``). On SQLite the writes are
serialized whatever this value.

When ``[oslo_messaging_rabbit] rabbit_qos_prefetch_count`` is left at 0
(unlimited), the listener sets it to ``batch_size * (concurrent_batches +
1)`` so that a long queue is not pulled into memory at once.

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.IntOpt(
        'store_processes',
        mutable=True,
        default=1,
        min=0,
        help="""
Number of child processes of each worker that normalize and store its
batches. Reading messages from the bus and storing them each take about
half of a worker's CPU; in separate processes they run on separate cores,
and a worker drains the bus about twice as fast. 0 stores in the worker's
own process (one process, half the rate). A batch is still acknowledged only
after its transaction committed; a store process that dies is replaced and
its batch is redelivered.

On SQLite keep 1: SQLite has one writer at a time. With MySQL or PostgreSQL,
2 can help when the database, not the worker, is the bottleneck.

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.ListOpt(
        'handlers',
        default=DEFAULT_HANDLERS,
        help="""
Ordered list of ingestion handlers (entry points in the
``stacktach_ng.handlers`` namespace) that process every batch, inside the
batch's transaction. ``notifications`` stores the normalized notification
and must come first: the others receive only notifications it stored for the
first time, so that a redelivered message changes nothing.

``rollups`` marks the hours whose roll-ups of the operations a batch
changed (the roller recomputes them, see ``[analysis] rollup_interval``);
the timing summary reads the roll-ups only while it is enabled. It must
come after ``timings``, and last is best: the mark of the current hour is
one row that every batch writes and holds until it commits.

``open_work`` keeps what is open now (resources in a task state, open
operations), which the stuck list then reads instead of every candidate;
it must come after ``lifecycle`` and ``timings``. Without it the stuck list
reads the candidates.

A third-party handler is enabled by installing a package that declares the
entry point and adding its name here.

A handler enabled on a database that already holds notifications knows only
what arrives after: ``stacktach-ng-manage rebuild`` recomputes its tables
from every stored notification (the trace and the lifecycle read a request's
and a resource's notifications between the first and last times their rows
keep).
"""),
    cfg.IntOpt(
        'max_message_size',
        mutable=True,
        default=1024 * 1024,
        min=1024,
        help="""
Largest notification, in bytes of its JSON payload, that is stored. A larger
one is recorded as rejected (with the reason and an excerpt) and
acknowledged, so that an absurd message never blocks the queue.

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.FloatOpt(
        'retry_backoff_max',
        mutable=True,
        default=30.0,
        min=0.1,
        help="""
Longest pause, in seconds, after a transient database error (disconnect,
deadlock, lock wait) before the listener takes the next batch. The pause
doubles after each consecutive error, starting at 0.5 s, and resets after a
success. The failed batch itself is requeued, never lost.

Changes are applied on SIGHUP (the workers restart).
"""),
    cfg.IntOpt(
        'heartbeat_interval',
        mutable=True,
        default=10,
        min=1,
        help="""
Seconds between two heartbeats of a listener worker in the database. The
heartbeat carries the worker's counters (stored, duplicates, rejected,
requeued) used by ``/metrics`` and ``stacktach-ng-status upgrade check``.

Changes are applied on SIGHUP (the workers restart).
"""),
]


def register_opts(conf):
    groups.register_group_opts(conf, listener_group, ALL_OPTS)


def list_opts():
    return {listener_group: ALL_OPTS}
