"""Rules of the notifications and of the lists derived from them."""

from oslo_policy import policy

from stacktach_ng.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='stacktach:notification:list',
        check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES,
        description='List notifications.',
        operations=[{'path': '/v1/notifications', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name='stacktach:notification:get',
        check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES,
        description='Show one notification with its payload and context.',
        operations=[{'path': '/v1/notifications/{message_id}',
                     'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name='stacktach:event_type:list',
        check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES,
        description='List the event types seen, with counts.',
        operations=[{'path': '/v1/event_types', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name='stacktach:host:list',
        check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES,
        description='List the publishing hosts seen, with counts.',
        operations=[{'path': '/v1/hosts', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name='stacktach:service:list',
        check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES,
        description='List the publishing services seen, with counts.',
        operations=[{'path': '/v1/services', 'method': 'GET'}]),
]


def list_rules():
    return rules
