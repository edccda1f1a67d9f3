"""No cookie sessions: the API is stateless (bearer tokens, client ids), so Flask's signed
cookie session — a serializer built on every request — is switched off."""

from flask import Flask
from flask.sessions import SessionInterface


class NoCookieSessions(SessionInterface):
    """A session interface that never reads or writes a cookie.

    ``open_session`` returning None makes Flask use its ``NullSession``, which refuses
    writes, so a view that tried to use ``flask.session`` would fail loudly.
    """

    def open_session(self, app: Flask, request):
        return None

    def save_session(self, app: Flask, session, response) -> None:
        return None
