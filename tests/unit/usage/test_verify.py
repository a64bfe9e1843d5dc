"""The verifier's pass loop (the checks themselves run on real databases
in the functional tests)."""

import pytest
from oslo_db import exception as db_exc

from stacktach_ng.usage import verify
from tests import base


class _Batches(verify.Verifier):
    """verify_batch() answers from a script: a count, or an error."""

    def __init__(self, script):
        conf = base.make_conf('sqlite://', verifier={'reconcile_window': 0,
                                                     'batch_size': 10})
        super().__init__(conf, database=None)
        self.script = list(script)
        self.calls = 0

    def verify_batch(self, now, result, after=0):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        result.verified += step
        return step, after + step

    def check_missing(self, now, result):
        pass


def test_a_deadlocked_batch_is_taken_again():
    verifier = _Batches([10, db_exc.DBDeadlock(), 10, 3])
    result = verifier.run_pass()
    assert verifier.calls == 4
    assert result.verified == 23


def test_a_batch_that_keeps_deadlocking_ends_the_pass():
    deadlocks = [db_exc.DBDeadlock()
                 for _ in range(verify._DEADLOCK_RETRIES + 1)]
    verifier = _Batches(deadlocks)
    with pytest.raises(db_exc.DBDeadlock):
        verifier.run_pass()
    assert verifier.calls == verify._DEADLOCK_RETRIES + 1
