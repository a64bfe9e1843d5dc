from oslo_config import cfg

from stacktach_ng.conf import groups

retention_group = cfg.OptGroup(
    'retention',
    title='Data retention options',
    help='How long stored data is kept. ``stacktach-ng-manage purge`` '
         'applies these on demand; the listener applies them periodically '
         'when ``purge_interval`` is set.')

ALL_OPTS = [
    cfg.DictOpt(
        'max_age',
        default={'notifications': '90d', 'rejected': '30d'},
        help="""
Maximum age of stored data, per data kind, as ``kind:age`` pairs. An age is
a number with a unit: ``s``, ``m``, ``h``, ``d`` or ``w`` (``90d``). A kind
that is not listed is kept forever.

Kinds: ``notifications`` (the stored notifications and the data derived from
them), ``rejected`` (rejected messages).
"""),
    cfg.IntOpt(
        'purge_interval',
        default=0,
        min=0,
        help="""
Seconds between two periodic purges run by the listener. 0 disables the
periodic purge; ``stacktach-ng-manage purge`` still works.
"""),
    cfg.IntOpt(
        'purge_batch_size',
        default=5000,
        min=1,
        help="""
Rows deleted per transaction by a purge. Small batches keep lock times
short on a busy database.
"""),
    cfg.IntOpt(
        'partition_days_ahead',
        default=7,
        min=1,
        max=366,
        help="""
PostgreSQL only: how many days ahead of today (UTC) the daily partitions of
the notifications table are created. The listener creates them when it
starts and every hour, ``stacktach-ng-manage db upgrade`` when it runs; a
purge drops the partitions older than ``max_age`` whole. Days nobody
created go to a default partition, which is slower to purge: keep this
longer than the longest time the listeners may stay down.
``stacktach-ng-status upgrade check`` warns when days are missing.
"""),
]


def register_opts(conf):
    groups.register_group_opts(conf, retention_group, ALL_OPTS)


def list_opts():
    return {retention_group: ALL_OPTS}
