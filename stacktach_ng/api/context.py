"""The request context: who is asking, as oslo.context sees it."""

from oslo_context import context

# What a request is under ``[api] auth_strategy = noauth``: an admin of
# the whole cloud, with no project, so every list covers every project.
NOAUTH_ROLES = ('admin', 'member', 'reader')


class RequestContext(context.RequestContext):
    """The caller of one API request."""

    @classmethod
    def from_environ(cls, environ, auth_strategy='keystone', **kwargs):
        """The context of a request.

        With ``keystone``, the identity comes from the headers that
        keystonemiddleware's auth_token sets after validating the token
        (it strips the same headers from the incoming request first, so a
        client cannot forge them). With ``noauth`` every request is an
        admin without a project.
        """
        if auth_strategy == 'noauth':
            kwargs.update(roles=list(NOAUTH_ROLES), is_admin=True,
                          project_id=None, user_id=None)
        return super().from_environ(environ, **kwargs)
