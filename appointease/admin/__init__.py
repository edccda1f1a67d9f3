"""Staff and admin domain (SPEC §4 "Staff and admin"): catalogue and schedule management,
appointment status, the live day and the debug view. Functions take the request's
``Context`` first and never import Flask."""
