"""Customer authentication (SPEC §4 Customers, §8): one-time codes, bearer tokens, the guard.

Domain parts (no Flask):

* ``actor`` — ``Actor`` (customer / admin / staff) and ``normalize_email``;
* ``tokens`` — ``issue_token``, ``authenticate``, ``revoke_token``: opaque
  ``secrets.token_urlsafe(32)`` tokens stored as SHA-256, valid
  ``APPOINTEASE_SESSION_DAYS``;
* ``login`` — ``request_login_code``, ``sign_in``, ``sign_out`` on a domain context
  (codes are made, hashed and mailed by ``appointease.notify``);
* ``models`` — the ``customer_sessions`` table.

HTTP part: ``guard.customer_required`` (a view decorator passing ``actor=``).
"""
