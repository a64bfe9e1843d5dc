import collections

import pytest

from stacktach_ng.simulator import engine


class Run:
    """A finished simulation: its notifications, grouped per operation."""

    def __init__(self, count, **options):
        self.sim = engine.Simulator(**options)
        self.notifications = list(self.sim.notifications(count=count))
        self.by_operation = collections.defaultdict(list)
        for notification in self.notifications:
            if notification.operation is not None:
                self.by_operation[notification.operation.id].append(
                    notification)
        self.truth = self.sim.truth

    def operations(self, name=None, outcome=None):
        return [op for op in self.truth.operations.values()
                if (name is None or op.name == name) and
                (outcome is None or op.outcome == outcome)]


@pytest.fixture(scope='package')
def legacy_run():
    # Many failures and stuck operations, hourly audits: every path shows.
    return Run(12000, seed=101, fmt='legacy', failure_rate=0.25,
               stuck_rate=0.05, audit_period='hour')


@pytest.fixture(scope='package')
def both_run():
    return Run(12000, seed=202, fmt='both', failure_rate=0.25,
               stuck_rate=0.05, audit_period='hour', projects=4, hosts=6)


@pytest.fixture(scope='package')
def default_run():
    # The defaults, as benchmarks and demos use them.
    return Run(20000, seed=42)
