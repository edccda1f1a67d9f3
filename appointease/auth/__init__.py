"""Authentication and authorisation (SPEC §4, §8).

Customers (one-time code sign-in), domain parts (no Flask):

* ``actor`` — ``Actor`` (customer / admin / staff) and ``normalize_email``;
* ``tokens`` — ``issue_token``, ``authenticate``, ``revoke_token``: opaque
  ``secrets.token_urlsafe(32)`` tokens stored as SHA-256, valid
  ``APPOINTEASE_SESSION_DAYS``;
* ``login`` — ``request_login_code``, ``sign_in``, ``sign_out`` on a domain context
  (codes are made, hashed and mailed by ``appointease.notify``);
* ``models`` — the ``customer_sessions`` table.

Staff and admins (bearer API tokens from ``flask create-token``):

* ``principal`` — ``Principal`` (the token's role and staff member) and its ``Actor``;
* ``api_tokens`` — the ``api_tokens`` table, ``create_token``, ``list_tokens``,
  ``revoke_token``, ``authenticate`` (SHA-256 at rest);
* ``cli`` — the ``create-token``, ``list-tokens`` and ``revoke-token`` commands.

HTTP parts: ``guard.customer_required`` (passes ``actor=``) and ``staff_guard.require``
(role guards for ``/api/v1/admin``).
"""
