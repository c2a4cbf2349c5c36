"""The HTTP API: an app factory (``app.create_app``), thin routes, one error mapping."""
