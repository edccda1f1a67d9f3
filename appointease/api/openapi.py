"""An apispec plugin letting a marshmallow schema add JSON Schema keywords to its own
OpenAPI component, for rules fields alone cannot express (e.g. "exactly one of")."""

from __future__ import annotations

from apispec import BasePlugin


class SchemaExtras(BasePlugin):
    """Merge a schema's ``Meta.openapi`` dict into its component (OpenAPI 3.0 Schema
    Object keywords such as ``oneOf``), so clients and fuzzers see the rule.

    Example::

        class HeartbeatIn(Schema):
            class Meta:
                openapi = {"oneOf": [{"required": ["employee_id"]}, {"required": ["employee_ids"]}]}
    """

    def schema_helper(self, name, definition, schema=None, **kwargs) -> dict | None:
        """Return the extra keywords of ``schema`` (class or instance), or None."""
        meta = getattr(schema, "Meta", None)
        extras = getattr(meta, "openapi", None)
        return dict(extras) if extras else None
