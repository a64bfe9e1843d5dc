"""Version 1 of the stacktach-ng client (the ``/v1`` API)."""

from stacktach_ng.client.v1.client import Client

__all__ = ['Client']
