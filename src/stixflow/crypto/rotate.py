"""Re-seal every stored secret with the current key (``stixflow secrets rotate``).

Rotation procedure (docs/security.md): set the new key as ``secret_key`` and the old one in
``previous_secret_keys``, run ``stixflow secrets rotate``, then drop the old key. Values stored
before encryption existed are sealed on the way. Everything is rewritten in one transaction.
"""

from __future__ import annotations

from stixflow.crypto.box import SecretBox
from stixflow.db.base import Database

SEALED_COLUMNS = (
    ("ingesters", "secret"),  # feed credentials (a JSON document)
    ("stream_syncs", "token"),  # live-stream synchronisers' remote tokens
    ("connectors", "broker_secret"),  # connectors' own broker passwords
)
NOTHING = ("", "{}")


def rotate(db: Database, box: SecretBox) -> int:
    """How many stored secrets were re-sealed."""
    rewritten = 0
    with db.transaction() as tx:
        for table, column in SEALED_COLUMNS:
            rows = tx.fetchall(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
            for row_id, stored in rows:
                if stored in NOTHING:
                    continue
                tx.execute(
                    f"UPDATE {table} SET {column} = ? WHERE id = ?", (box.reseal(stored), row_id)
                )
                rewritten += 1
    return rewritten
