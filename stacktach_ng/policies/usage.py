"""Rules of usage tracking and verification."""

from oslo_policy import policy

from stacktach_ng.policies import base


def _rule(name, description, paths):
    return policy.DocumentedRuleDefault(
        name=name, check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES, description=description,
        operations=[{'path': path, 'method': 'GET'} for path in paths])


rules = [
    _rule('stacktach:usage:list', 'List launches, deletes, exists records '
          'and instances with missing exists records.',
          ['/v1/usage/launches', '/v1/usage/deletes', '/v1/usage/exists',
           '/v1/usage/missing']),
    _rule('stacktach:usage:report', 'Usage report of a period.',
          ['/v1/usage/report']),
    _rule('stacktach:verification:list', 'List the verdicts on exists '
          'records.', ['/v1/verifications']),
]


def list_rules():
    return rules
