"""oslo.policy rules in code, one module per resource.

``list_rules()`` is the ``oslo.policy.policies`` entry point that
``oslopolicy-sample-generator`` and ``oslopolicy-policy-generator`` read
(``tox -e genpolicy`` writes ``etc/stacktach-ng/policy.yaml.sample``).
"""

import itertools

from stacktach_ng.policies import analyses
from stacktach_ng.policies import base
from stacktach_ng.policies import metrics
from stacktach_ng.policies import notification
from stacktach_ng.policies import usage

_MODULES = (base, notification, analyses, usage, metrics)


def list_rules():
    return list(itertools.chain.from_iterable(
        module.list_rules() for module in _MODULES))
