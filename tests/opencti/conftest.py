"""The API clients of tests/api (an administrator's, and users with chosen capabilities)."""

from tests.api.conftest import admin_token, client, user_token

__all__ = ["admin_token", "client", "user_token"]
