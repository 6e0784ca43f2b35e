"""koe service layer: the FastAPI app, job runner, storage and the ``koe`` CLI."""
