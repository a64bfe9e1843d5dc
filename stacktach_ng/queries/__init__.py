"""Read queries behind the REST API, one module per area.

Every function takes a reader ``Connection`` first and an explicit
``project_id`` scope (None means every project: the caller decides what
the user may see), pages with ``limit``/``marker``, and returns
JSON-serializable dicts.
"""
