"""Rule of the Prometheus metrics endpoint."""

from oslo_policy import policy

from stacktach_ng.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='stacktach:metrics:get',
        check_str=base.CLOUD_READER,
        scope_types=base.SCOPES,
        description='Read the ingestion metrics in Prometheus text format. '
                    'They cover the whole cloud. A deployment whose '
                    'Prometheus scrapes without a token serves '
                    '``/metrics`` to anyone with the rule set to ``@``.',
        operations=[{'path': '/metrics', 'method': 'GET'}]),
]


def list_rules():
    return rules
