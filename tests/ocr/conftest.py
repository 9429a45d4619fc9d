"""OCR tests: real Tesseract on scans the tests draw; tasks run through ``execute``."""

import pytest


@pytest.fixture
def automatic_ocr(app):
    """The app as shipped: every upload is OCR'd (one OCRmyPDF job: the tests run in parallel)."""
    settings = app.state.settings
    ocr = settings.ocr.model_copy(update={"automatic": True, "jobs": 1})
    app.state.settings = settings.model_copy(update={"ocr": ocr})
    yield app.state.settings
    app.state.settings = settings
