"""Benchmarks of stacktach-ng: ``stacktach-ng-manage bench ...``.

Each module measures one quality bar of the specification and reports
rates measured in the same run (see ``doc/source/admin/benchmarks.rst``).
"""
