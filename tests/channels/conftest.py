"""The channels' tests use the API's databases (SQLite and PostgreSQL)."""

from tests.api.conftest import database, postgres_server  # noqa: F401 (fixtures)
