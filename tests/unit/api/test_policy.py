import pytest

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
    from stacktach_ng import policies
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) == len(set(names))
    assert all(rule.description for rule in policies.list_rules())
