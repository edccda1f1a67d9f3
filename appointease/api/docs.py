"""``GET /api/v1/docs``: an API reference page rendered from the OpenAPI document.

Plain HTML from a Jinja template (no scripts, no third-party requests), so it works
behind a strict Content-Security-Policy and offline.
"""

from flask import Blueprint, render_template

from appointease.extensions import api

bp = Blueprint("docs", __name__, url_prefix="/api/v1")


def _schema_name(node: dict | None) -> str:
    """Name a schema reference (``#/components/schemas/X`` → ``X``) or describe it inline."""
    if not node:
        return ""
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[1]
    if node.get("type") == "array":
        return f"array of {_schema_name(node.get('items'))}"
    return node.get("type", "object")


@bp.get("/docs")
def reference():
    """Render every path, operation, parameter, body and answer of the OpenAPI document."""
    doc = api.spec.to_dict()
    responses = doc.get("components", {}).get("responses", {})
    operations = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])  # path parameters such as {reference}
        for method, op in item.items():
            if method == "parameters":
                continue
            answers = []
            for status, resp in sorted(op.get("responses", {}).items()):
                if "$ref" in resp:
                    resp = responses.get(resp["$ref"].rsplit("/", 1)[1], {})
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                answers.append(
                    {"status": status, "description": resp.get("description", ""), "schema": _schema_name(schema)}
                )
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": shared + op.get("parameters", []),
                    "body": _schema_name(body),
                    "answers": answers,
                }
            )
    return render_template(
        "api_docs.html", doc=doc, operations=operations, schemas=doc.get("components", {}).get("schemas", {})
    )
