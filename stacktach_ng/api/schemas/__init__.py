"""JSON schemas of the API, shared by the validation and the OpenAPI
document so that the document cannot drift from what the code accepts.

``parameters`` holds the query parameters of each endpoint (OpenAPI
parameter objects whose ``schema`` validates the value after it is read
from the query string), ``responses`` the bodies the endpoints return.
"""
