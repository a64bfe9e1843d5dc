"""stacktach-ng: OpenStack notifications turned into answers.

Importing the package does nothing to the process: the entry points select
oslo.service's backend (see ``stacktach_ng.common.service_backend``).
"""
