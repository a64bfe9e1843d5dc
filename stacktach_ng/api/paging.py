"""Paging of list responses.

A list response is ``{"<items>": [...], "next": <url or null>}``. ``next``
is the URL of the following page (the same query with the ``marker`` of
the last item), or null on the last page; a client follows it until it is
null. Lists are keyset-paged (see ``stacktach_ng.queries``).
"""

import urllib.parse


def limit(conf, requested):
    """The page size: the requested one, at most ``[api] max_limit``."""
    return min(requested, conf.api.max_limit)


def next_link(request, marker):
    """The URL of the page after the one ending with ``marker``.

    Built from the request's own URL (which http_proxy_to_wsgi corrects
    behind a TLS-terminating proxy), keeping every other parameter.
    """
    params = [(name, value) for name, value in request.GET.items()
              if name != 'marker']
    params.append(('marker', marker))
    return '%s?%s' % (request.path_url, urllib.parse.urlencode(params))


def collection(request, key, items, more, marker_of):
    """The body of a list response.

    :param key: the name of the list in the body (``notifications``).
    :param more: whether rows follow ``items``.
    :param marker_of: a function giving the marker of an item.
    """
    following = None
    if more and items:
        following = next_link(request, marker_of(items[-1]))
    return {key: items, 'next': following}
