"""WSGI entry points for application servers (uwsgi, gunicorn)."""
