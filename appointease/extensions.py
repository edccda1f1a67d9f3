"""Bare extension instances, wired to an app by ``create_app`` (cookiecutter-flask style)."""
from flask_cors import CORS
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from appointease.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cors = CORS()
