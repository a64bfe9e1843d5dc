from oslo_config import cfg

from stacktach_ng.conf import groups

verifier_group = cfg.OptGroup(
    'verifier',
    title='Usage verifier options',
    help='Options of stacktach-ng-verifier, which checks every .exists '
         'audit record against the tracked launches and deletes.')

ALL_OPTS = [
    cfg.IntOpt(
        'settle_delay',
        default=300,
        min=0,
        help="""
Seconds to wait after an ``.exists`` record arrives before verifying it, so
that the notifications it is checked against (a late delete, a resize) have
arrived too.
"""),
    cfg.IntOpt(
        'interval',
        default=60,
        min=1,
        help="""
Seconds between two verification passes of ``stacktach-ng-verifier``.
"""),
    cfg.BoolOpt(
        'emit_notifications',
        default=False,
        help="""
Emit ``<type>.exists.verified`` and ``<type>.exists.failed`` notifications
through oslo.messaging after each verification, for billing systems that
consume them. They go to ``[oslo_messaging_notifications]`` topics.
"""),
    cfg.IntOpt(
        'claim_timeout',
        default=600,
        min=10,
        help="""
Seconds a verifier keeps its claim on a batch of exists records. A verifier
that dies (kill -9, host loss) leaves its claims behind; once they are older
than this, another pass takes the records over, so that nothing stays
claimed forever. Keep it well above the time one batch takes.

Related options:

* ``batch_size``: the number of records claimed at once.
"""),
    cfg.IntOpt(
        'batch_size',
        default=1000,
        min=1,
        help="""
Number of exists records a verifier claims, checks and commits at once.
Several verifiers share the work batch by batch.
"""),
    cfg.IntOpt(
        'reconcile_window',
        default=86400,
        min=0,
        help="""
Seconds during which a failed exists record is checked again on every
pass. When notifications that arrived late (a launch, a delete) now make
it consistent, it becomes ``reconciled``. 0 disables these checks.
"""),
]


def register_opts(conf):
    groups.register_group_opts(conf, verifier_group, ALL_OPTS)


def list_opts():
    return {verifier_group: ALL_OPTS}
