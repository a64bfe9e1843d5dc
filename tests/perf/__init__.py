"""Benchmarks and performance measurements of stacktach-ng.

Not tests (pytest collects nothing here) and not shipped with the
package: run them from a source tree with ``tox -e bench -- BENCHMARK``
(``python -m tests.perf`` in a development environment); see ``cli``.
"""
