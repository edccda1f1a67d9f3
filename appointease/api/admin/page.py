"""``GET /admin``: the staff day view (``static/admin.html``; it authenticates with a token)."""

from flask import Blueprint, current_app, send_from_directory

page = Blueprint("admin_page", __name__)


@page.get("/admin")
def day_view():
    """Serve the staff day view page."""
    return send_from_directory(current_app.static_folder, "admin.html")
