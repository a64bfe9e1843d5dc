import os
import time

import pytest
from oslo_policy import opts as policy_opts

from stacktach_ng import policies
from stacktach_ng.api import context
from stacktach_ng.api import errors
from stacktach_ng.api import policy
from tests import base

RULE = 'stacktach:notification:list'


@pytest.fixture(scope='module')
def enforcer():
    return policy.Enforcer(base.make_conf())


def _context(roles, project_id='p1', system_scope=None):
    return context.RequestContext(roles=roles, project_id=project_id,
                                  system_scope=system_scope)


def test_reader_is_scoped_to_own_project(enforcer):
    ctx = _context(['reader'])
    assert policy.list_scope(enforcer, ctx, RULE) == 'p1'
    assert policy.list_scope(enforcer, ctx, RULE, project_id='p1') == 'p1'
    assert policy.show_scope(enforcer, ctx, 'stacktach:notification:get') \
        == 'p1'
    for kwargs in ({'all_projects': True}, {'project_id': 'p2'}):
        with pytest.raises(errors.Forbidden):
            policy.list_scope(enforcer, ctx, RULE, **kwargs)


def test_admin_widens(enforcer):
    ctx = _context(['admin', 'member', 'reader'])
    assert policy.list_scope(enforcer, ctx, RULE) == 'p1'
    assert policy.list_scope(enforcer, ctx, RULE, all_projects=True) is None
    assert policy.list_scope(enforcer, ctx, RULE, project_id='p2') == 'p2'
    assert policy.show_scope(enforcer, ctx,
                             'stacktach:notification:get') is None


def test_no_role_is_forbidden(enforcer):
    with pytest.raises(errors.Forbidden):
        policy.list_scope(enforcer, _context(['other']), RULE)


def test_noauth_context_sees_everything(enforcer):
    ctx = context.RequestContext.from_environ({}, auth_strategy='noauth')
    assert policy.list_scope(enforcer, ctx, RULE) is None


def test_every_rule_has_a_description():
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) == len(set(names))
    assert all(rule.description for rule in policies.list_rules())


def _conf_with_policy_file(path):
    conf = base.make_conf()
    policy_opts.set_defaults(conf)  # registers [oslo_policy] only
    conf.set_override('policy_file', str(path), group='oslo_policy')
    conf.set_override('policy_dirs', [], group='oslo_policy')
    return conf


def _interval_over(enforcer):
    enforcer._enforcer._next_load = time.monotonic()


def _reader_of_p1():
    return _context(['reader'])


def test_policy_file_written_later_is_honoured(tmp_path):
    """The rules in code apply while there is no policy file; one created
    later is in force at the next look at the files."""
    policy_file = tmp_path / 'policy.yaml'
    conf = _conf_with_policy_file(policy_file)
    enforcer = policy.Enforcer(conf)
    assert enforcer.allowed(RULE, _reader_of_p1(), {'project_id': 'p1'})

    policy_file.write_text('"%s": "role:admin"\n' % RULE)
    # Within the interval the rules in force stay as they are...
    assert enforcer.allowed(RULE, _reader_of_p1(), {'project_id': 'p1'})
    # ... and once it is over the file is read.
    _interval_over(enforcer)
    assert not enforcer.allowed(RULE, _reader_of_p1(), {'project_id': 'p1'})


def test_policy_file_changes_are_seen_after_the_interval(tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"%s": "role:admin"\n' % RULE)
    conf = _conf_with_policy_file(policy_file)
    enforcer = policy.Enforcer(conf)
    assert not enforcer.allowed(RULE, _reader_of_p1(), {'project_id': 'p1'})
    policy_file.write_text('"%s": "role:reader"\n' % RULE)
    # oslo.policy compares modification times: make it a later one.
    os.utime(policy_file, (time.time() + 10, time.time() + 10))
    _interval_over(enforcer)
    assert enforcer.allowed(RULE, _reader_of_p1(), {'project_id': 'p1'})


def test_files_are_not_looked_at_on_every_check(tmp_path):
    """Between two looks a check reads nothing from the disk: a policy
    file removed meanwhile still applies until the next look."""
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"%s": "role:admin"\n' % RULE)
    conf = _conf_with_policy_file(policy_file)
    enforcer = policy.Enforcer(conf)
    policy_file.unlink()
    for _ in range(3):
        assert not enforcer.allowed(RULE, _reader_of_p1(),
                                    {'project_id': 'p1'})


def test_broken_policy_file_stops_the_start(tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"%s": [unclosed\n' % RULE)
    conf = _conf_with_policy_file(policy_file)
    with pytest.raises(ValueError):
        policy.Enforcer(conf)


class _Clock:
    """A monotonic clock the test moves by hand: the interval is passed
    or not because the test says so, never because the machine was slow."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_throttled_enforcer_looks_again_when_the_interval_is_over(
        tmp_path, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(policy, 'time', clock)
    policy_file = tmp_path / 'policy.yaml'
    enforcer = policy._ThrottledEnforcer(_conf_with_policy_file(policy_file),
                                         interval=5)
    enforcer.register_defaults(policies.list_rules())
    enforcer.load_rules()
    creds = _reader_of_p1()
    assert enforcer.enforce(RULE, {'project_id': 'p1'}, creds)
    policy_file.write_text('"%s": "role:admin"\n' % RULE)
    # Inside the interval the file is not looked at again.
    clock.now += 4.9
    assert enforcer.enforce(RULE, {'project_id': 'p1'}, creds)
    clock.now += 0.2
    assert not enforcer.enforce(RULE, {'project_id': 'p1'}, creds)
