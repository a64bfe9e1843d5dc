"""Helpers shared by unit and functional tests."""

from stacktach_ng import service


def make_conf(database_url=None, args=(), **groups):
    """A parsed configuration with overrides, as a daemon would have it.

    ``groups`` maps a group name to a dict of option overrides, e.g.
    ``make_conf(url, listener={'batch_size': 10})``; use ``DEFAULT`` for
    the default group.
    """
    conf = service.build_conf()
    conf(list(args), project='stacktach-ng', default_config_files=[])
    service.finish_conf(conf)
    if database_url is not None:
        conf.set_override('connection', database_url, group='database')
    for group, overrides in groups.items():
        for name, value in overrides.items():
            conf.set_override(name, value,
                              group=None if group == 'DEFAULT' else group)
    return conf
