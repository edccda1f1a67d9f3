"""Bare extension instances, wired to an app by ``create_app`` (cookiecutter-flask style)."""

import flask_smorest
from flask_cors import CORS
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from appointease.models import Base
from appointease.schemas import ErrorOut


class Api(flask_smorest.Api):
    """flask-smorest's Api documenting errors in SPEC §4's shape (no generic default)."""

    ERROR_SCHEMA = ErrorOut
    DEFAULT_ERROR_RESPONSE_NAME = None


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cors = CORS()
api = Api()
