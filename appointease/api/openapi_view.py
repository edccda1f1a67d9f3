"""``GET /api/v1/openapi.json``: the OpenAPI 3 document, generated from the schemas."""
from flask import current_app, jsonify

from appointease.api import api
from appointease.openapi import build_spec


@api.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document (built once per process, then cached)."""
    spec = current_app.extensions.get("appointease.openapi")
    if spec is None:
        spec = current_app.extensions["appointease.openapi"] = build_spec()
    return jsonify(spec)
