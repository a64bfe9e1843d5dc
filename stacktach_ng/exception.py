"""The exceptions stacktach-ng raises below the API.

Every one derives from ``StacktachException``, whose message is its class's
``msg_fmt`` filled with the keyword arguments (or the message given). The
API turns the ones a caller caused into 400 responses.
"""


class StacktachException(Exception):
    """Base class; ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = 'An unknown exception occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        super().__init__(message)


class MarkerNotFound(StacktachException, LookupError):
    """The marker of a list names no row (in the caller's scope)."""

    msg_fmt = 'marker %(marker)r names no item of this list'

    def __init__(self, message=None, marker=None, **kwargs):
        super().__init__(message, marker=marker, **kwargs)
        self.marker = marker


class InvalidParameter(StacktachException, ValueError):
    """A query parameter the query refuses (an unknown value)."""

    msg_fmt = '%(name)s: %(problem)s'


class InvalidDefinitions(StacktachException, ValueError):
    """A resource definitions file that cannot be used: the service does
    not start on it."""

    msg_fmt = '%(source)s:%(line)s: %(problem)s'

    def __init__(self, message=None, source=None, line=None, problem=None,
                 **kwargs):
        super().__init__(message, source=source, line=line,
                         problem=problem, **kwargs)
        self.source = source
        self.line = line
        self.problem = problem
