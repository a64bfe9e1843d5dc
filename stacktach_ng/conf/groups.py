"""Option groups registered per ``ConfigOpts``."""

from oslo_config import cfg


def register_group_opts(conf, group, opts):
    """Register ``opts`` under a copy of ``group`` that belongs to ``conf``.

    oslo.config keeps registered options and their overrides on the
    OptGroup object itself (``register_group`` makes only a shallow copy),
    so registering one module-level OptGroup on two ``ConfigOpts`` would
    share overrides between them. stacktach-ng builds a ``ConfigOpts`` per
    service (and per test), hence a fresh group each time.
    """
    conf.register_group(cfg.OptGroup(group.name, title=group.title,
                                      help=group.help))
    conf.register_opts(opts, group=group.name)
