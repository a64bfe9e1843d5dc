from oslo_config import cfg

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
]


def register_opts(conf):
    conf.register_group(verifier_group)
    conf.register_opts(ALL_OPTS, group=verifier_group)


def list_opts():
    return {verifier_group: ALL_OPTS}
