"""``python -m tests.perf BENCHMARK ...``, what ``tox -e bench`` runs."""

import sys

from tests.perf import cli

# The figures (``--output``) name the command as typed, not this file.
sys.argv[0] = 'python -m tests.perf'
sys.exit(cli.main(sys.argv))
