"""The app's ``SECRET_KEY`` at start-up: never the development value in a real deployment (SPEC §8).

* ``SECRET_KEY`` set (not the development value): used as is.
* Development (``app.debug``) or testing (``app.testing``): the development value is fine.
* The embedded default (a SQLite database: one host): a random key is generated once and
  kept in ``instance/secret_key`` (mode 0600), so ``scripts/run.sh`` needs no set-up and
  the key survives restarts.
* Otherwise (a server database such as PostgreSQL, where several instances must share one
  key) start-up fails with a message saying what to set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

#: The value tests and the development server may use; refused anywhere else.
DEV_SECRET_KEY = "dev-only-not-secret"
#: File in the instance folder holding the embedded default's generated key.
KEY_FILE = "secret_key"


def ensure_secret_key(app: Flask) -> None:
    """Set ``app.config["SECRET_KEY"]`` by the rules above.

    Raises:
        RuntimeError: the key is the development value, or unset on a server database,
            outside development and testing.
    """
    key = app.config.get("SECRET_KEY")
    if app.testing or app.debug:
        app.config["SECRET_KEY"] = key or DEV_SECRET_KEY
        return
    if key == DEV_SECRET_KEY:
        raise RuntimeError(
            "SECRET_KEY is the development value; set a long random one "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if key:
        return
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise RuntimeError(
            "SECRET_KEY must be set when DATABASE_URL is a server database: every instance "
            "needs the same long random value "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    app.config["SECRET_KEY"] = instance_key(Path(app.instance_path) / KEY_FILE)


def instance_key(path: Path) -> str:
    """Return the key stored at ``path``, creating it (random, mode 0600) if missing.

    Safe when several workers start at once: the key is written to a private temporary
    file and hard-linked into place, so the first process wins and everyone reads a
    complete key.
    """
    if path.exists():
        return path.read_text().strip()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, secrets.token_urlsafe(48).encode())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:  # another worker was first: use its key
        pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()
