"""Thin route modules: parse the request, call the domain, shape the response."""
