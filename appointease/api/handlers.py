"""The one place errors become HTTP: SPEC §4's JSON error shape for every failure."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from appointease.api.limits import retry_after
from appointease.errors import AppError, RateLimited, Unavailable
from appointease.extensions import db

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request"}


def error_response(code: str, message: str, status: int, fields: dict | None = None, retry_after: int | None = None):
    """Build ``{"error": {code, message[, fields]}}`` with ``status`` (and ``Retry-After``)."""
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_errorhandlers(app: Flask) -> None:
    """Install the handlers: domain errors, HTTP errors, lost databases, anything else.

    Registered after flask-smorest's, so these replace its ``HTTPException`` handler.
    """

    @app.teardown_request
    def _end_session(_exc):
        # The request's read transaction ends here. If the database went away while the
        # request ran, the rollback fails: the answer is already made, so drop the
        # connection instead of turning a good answer into a 500.
        try:
            db.session.remove()
        except Exception:
            log.warning("database connection lost at the end of a request; discarding it")
            try:
                db.session.registry().invalidate()
            finally:
                db.session.registry.clear()

    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        if isinstance(exc, Unavailable):
            db.session.rollback()
        response = error_response(exc.code, exc.message, exc.status, exc.fields, exc.retry_after)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        # Flask-Limiter's breach (SPEC §8) in the same shape as every other error.
        wait = retry_after()
        return _app_error(RateLimited(f"Too many requests; retry in {wait} seconds.", retry_after=wait))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = _HTTP_CODES.get(exc.code, "http_error")
        message = "No such endpoint." if exc.code == 404 else exc.description or exc.name
        response = error_response(code, message, exc.code or 500)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110 §15.5.6
        return response

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):
        # Lost or refused connections, SQLite "database is locked" past the busy timeout.
        log.warning("database unavailable: %s", exc.orig)
        db.session.rollback()
        return error_response("unavailable", Unavailable.default_message, 503, retry_after=2)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            db.session.rollback()
            return error_response("unavailable", Unavailable.default_message, 503, retry_after=2)
        log.exception("unhandled error")
        try:
            db.session.rollback()
        except Exception:  # the session itself may be broken; the client still gets JSON
            log.exception("rollback failed")
        return error_response("internal_error", "Something went wrong on our side.", 500)
