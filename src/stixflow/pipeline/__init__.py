"""The import pipeline: bundles become works and queued chunks (``submit``); workers apply them."""
