"""WSGI entry point: ``gunicorn wsgi:app``."""

from appointease import create_app

app = create_app()
