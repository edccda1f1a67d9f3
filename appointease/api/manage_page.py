"""``GET /manage``: the customers' manage page (static HTML + plain JS, SPEC §4 Customers)."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("manage_page", __name__)


@bp.get("/manage")
def manage():
    """Serve ``static/manage.html``: sign in with an emailed code, cancel or reschedule."""
    return send_from_directory(current_app.static_folder, "manage.html")
