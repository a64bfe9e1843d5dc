"""Rules of the analyses: requests (traces), resources (lifecycles),
timings, errors and the summary."""

from oslo_policy import policy

from stacktach_ng.policies import base


def _rule(name, description, path):
    return policy.DocumentedRuleDefault(
        name=name, check_str=base.PROJECT_OR_CLOUD_READER,
        scope_types=base.SCOPES, description=description,
        operations=[{'path': path, 'method': 'GET'}])


rules = [
    _rule('stacktach:request:list', 'List recent requests with duration '
          'and outcome.', '/v1/requests'),
    _rule('stacktach:request:get', 'Show the trace of a request.',
          '/v1/requests/{request_id}'),
    _rule('stacktach:resource:list', 'List resources, or the stuck ones.',
          '/v1/resources'),
    _rule('stacktach:resource:get', 'Show the lifecycle of a resource.',
          '/v1/resources/{resource_id}'),
    _rule('stacktach:timing:list', 'List operations with their duration.',
          '/v1/timings'),
    _rule('stacktach:timing:summary', 'Duration statistics of operations.',
          '/v1/timings/summary'),
    _rule('stacktach:error:list', 'List errors grouped by fingerprint.',
          '/v1/errors'),
    _rule('stacktach:error:get', 'Show an error group with its events.',
          '/v1/errors/{fingerprint}'),
    _rule('stacktach:summary:get', 'Counts, error rates and latencies of '
          'a period.', '/v1/summary'),
]


def list_rules():
    return rules
