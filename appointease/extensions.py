"""Bare extension instances, wired to an app by ``create_app`` (cookiecutter-flask style).

A low-level module: it imports no part of ``appointease.api`` (the API's own apispec
plugins are passed when ``appointease.api.register_blueprints`` calls ``api.init_app``).
"""

from http import HTTPStatus

import flask_smorest
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy

from appointease.models import Base
from appointease.schemas import ErrorOut


class Api(flask_smorest.Api):
    """flask-smorest's Api documenting errors in SPEC §4's shape (no generic default)."""

    ERROR_SCHEMA = ErrorOut
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self):
        """Register flask-smorest's default error responses, then again 429 and 503 with
        the ``Retry-After`` header they carry (SPEC §4 ``rate_limited``, ``unavailable``)."""
        super()._register_responses()
        for status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            response = {
                "description": status.phrase,
                "schema": self.ERROR_SCHEMA,
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before retrying (RFC 9110 §10.2.3).",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                },
            }
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)  # replaces the lazy default


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cors = CORS()
api = Api()
# Request rate limits (SPEC §8), declared per view with ``appointease.api.limits``. The
# settings that must not depend on which app initialised the shared instance first are
# fixed here; storage and the on/off switch come from each app's config.
limiter = Limiter(
    get_remote_address,
    # Fixed windows: one counter per key and window, and an exact Retry-After (the
    # window's end). The price: up to 2× a limit across a window edge.
    strategy="fixed-window",
    in_memory_fallback_enabled=True,  # Redis down: count per process, retry Redis with back-off
    swallow_errors=True,  # and if even that fails, serve the request rather than a 500
)
