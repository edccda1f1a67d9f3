"""The notification settings, read once from the app config (keys of ``appointease.config``).

A plain mapping is enough (a Flask ``app.config`` is one); nothing here needs an app context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class NotifySettings:
    """What messages and the worker need: who sends, for whom, where to link, how to retry.

    Durations are seconds. ``public_url`` has no trailing slash. ``secret_key`` is the
    app's ``SECRET_KEY`` (``str`` or ``bytes``, for ``appointease.secrets``: hashing
    one-time codes, decrypting webhook signing secrets); it is left out of ``repr``.
    Empty, the functions that need it raise ``RuntimeError``.
    """

    business_name: str
    mail_from: str
    public_url: str
    tz: ZoneInfo
    poll_seconds: float
    mail_retry_schedule: tuple[float, ...]
    webhook_retry_schedule: tuple[float, ...]
    webhook_timeout: float
    webhook_concurrency: int
    smtp_timeout: float = 10.0
    #: ``APPOINTEASE_ALLOW_PRIVATE_URLS``: webhooks may go to internal addresses (SPEC §11).
    allow_private_urls: bool = False
    secret_key: str | bytes = field(default="", repr=False)

    @property
    def host(self) -> str:
        """The public host name: the right-hand side of calendar ``UID`` and ``Message-ID`` values."""
        return urlsplit(self.public_url).hostname or "localhost"

    @property
    def mail_lease(self) -> timedelta:
        """How long a worker holds a claimed mail: one message's exchange (up to ~10 replies) at worst."""
        return timedelta(seconds=10 * self.smtp_timeout)

    @property
    def webhook_lease(self) -> timedelta:
        """How long a worker holds a claimed webhook delivery: well past one attempt's time-out."""
        return timedelta(seconds=3 * self.webhook_timeout + 5)

    @property
    def manage_url(self) -> str:
        """Where a customer manages their bookings (the ``/manage`` page, SPEC §7)."""
        return f"{self.public_url}/manage"

    @classmethod
    def from_config(cls, cfg: Mapping) -> NotifySettings:
        """Build the settings from an app config mapping (``SECRET_KEY`` may be missing: then empty)."""
        return cls(
            business_name=cfg["APPOINTEASE_BUSINESS_NAME"],
            mail_from=cfg["MAIL_FROM"],
            public_url=cfg["APPOINTEASE_PUBLIC_URL"].rstrip("/"),
            tz=ZoneInfo(cfg["APPOINTEASE_TIMEZONE"]),
            poll_seconds=float(cfg["APPOINTEASE_WORKER_POLL_SECONDS"]),
            mail_retry_schedule=tuple(cfg["APPOINTEASE_MAIL_RETRY_SCHEDULE"]),
            webhook_retry_schedule=tuple(cfg["APPOINTEASE_WEBHOOK_RETRY_SCHEDULE"]),
            webhook_timeout=float(cfg["APPOINTEASE_WEBHOOK_TIMEOUT"]),
            webhook_concurrency=max(1, int(cfg["APPOINTEASE_WEBHOOK_CONCURRENCY"])),
            smtp_timeout=float(cfg["APPOINTEASE_SMTP_TIMEOUT"]),
            allow_private_urls=bool(cfg["APPOINTEASE_ALLOW_PRIVATE_URLS"]),
            secret_key=cfg.get("SECRET_KEY") or "",
        )
