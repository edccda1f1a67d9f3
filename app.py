"""Development entry point: ``flask --app app run``."""

from appointease import create_app

app = create_app()
