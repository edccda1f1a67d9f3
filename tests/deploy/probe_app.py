"""The product app plus test-only probes, served by gunicorn behind nginx in test_nginx.py.

Never shipped: it lives in the tests. It adds, on top of ``create_app()``:

* ``X-Probe-Instance`` on every response: which instance (``PROBE_INSTANCE``) answered;
* ``GET /_probe/whoami``: the client address and scheme the app saw (after ProxyFix);
* ``GET|POST /_probe/slow?s=N``: appends ``"<instance> <method>"`` to the file
  ``PROBE_HITS``, then answers after N seconds (to make nginx time out).
"""

from __future__ import annotations

import os
import time

from flask import jsonify, request

from appointease import create_app

app = create_app()
INSTANCE = os.environ["PROBE_INSTANCE"]
HITS = os.environ["PROBE_HITS"]


@app.after_request
def _name_instance(response):
    response.headers["X-Probe-Instance"] = INSTANCE
    return response


@app.get("/_probe/whoami")
def whoami():
    """The request as the app sees it."""
    return jsonify(
        instance=INSTANCE,
        remote_addr=request.remote_addr,
        scheme=request.scheme,
        forwarded_for=request.headers.get("X-Forwarded-For"),
    )


@app.route("/_probe/slow", methods=["GET", "POST"])
def slow():
    """Record the hit, then answer late."""
    with open(HITS, "a") as hits:
        hits.write(f"{INSTANCE} {request.method}\n")
    time.sleep(float(request.args.get("s", "3")))
    return jsonify(instance=INSTANCE)
