"""``/admin/tokens``: API tokens over HTTP, admin tokens only (SPEC §4); the same as the
``create-token`` / ``list-tokens`` / ``revoke-token`` commands."""

from appointease.api.admin.common import ID, AdminBlueprint
from appointease.api.admin.schemas import ApiTokenIn, ApiTokenOut, NewApiTokenOut
from appointease.api.common import domain
from appointease.auth import api_tokens
from appointease.auth.principal import ADMIN

blp = AdminBlueprint("admin_tokens", __name__, url_prefix="/api/v1/admin", description="API tokens (admin).")


@blp.get("/tokens")
@blp.guard(ADMIN)
@blp.response(200, ApiTokenOut(many=True))
@blp.errors()
def list_tokens():
    """Every token, revoked ones included (never the secret)."""
    return api_tokens.list_tokens(domain().session)


@blp.post("/tokens")
@blp.guard(ADMIN)
@blp.arguments(ApiTokenIn)
@blp.response(201, NewApiTokenOut)
@blp.errors(400, 404, 422)
def create_token(args):
    """Create a token; the answer's ``token`` is shown this once only."""
    return api_tokens.create_token(domain().session, args["role"], args.get("employee_id"), args.get("name"))


@blp.delete(f"/tokens/<{ID}:token_id>")
@blp.guard(ADMIN)
@blp.response(200, ApiTokenOut)
@blp.errors(404)
def revoke_token(token_id):
    """Revoke a token: its next request is 401."""
    return api_tokens.revoke_token(domain().session, token_id)
