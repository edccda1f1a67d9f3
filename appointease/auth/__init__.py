"""Authentication and authorisation: bearer API tokens for staff and admins, role guards (SPEC §4)."""
