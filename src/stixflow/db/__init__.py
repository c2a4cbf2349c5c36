"""Database access: one small interface over SQLite and PostgreSQL (see ``base``)."""

from stixflow.db.base import Database, Tx, open_database

__all__ = ["Database", "Tx", "open_database"]
