"""SQL access to the ``connectors`` and ``connector_resets`` tables (migration 0005).

``broker_secret`` (the connector's own broker password) is sealed with the instance's
``SecretBox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from stixflow.clock import now
from stixflow.connectors.model import Connector, ConnectorType
from stixflow.crypto import SecretBox
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import NotFound

COLUMNS = (
    "id, name, type, scope, auto, only_contextual, user_id, state, state_reset, "
    "state_updated_at, info, last_seen_at, broker_user, broker_secret, created_at, updated_at"
)


def _row(row: Row, box: SecretBox) -> Connector:
    values = list(row)
    values[13] = box.open(values[13]) if values[13] else None
    values[2] = ConnectorType(values[2])
    values[3] = orjson.loads(values[3] or "[]")
    values[4], values[5], values[8] = bool(values[4]), bool(values[5]), bool(values[8])
    values[10] = orjson.loads(values[10] or "{}")
    return Connector(*values)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class ConnectorRecords:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def find(self, tx: Tx, connector_id: str) -> Connector | None:
        row = tx.fetchone(f"SELECT {COLUMNS} FROM connectors WHERE id = ?", (connector_id,))
        return None if row is None else _row(row, self.box)

    def get(self, connector_id: str) -> Connector:
        with self.db.read() as tx:
            found = self.find(tx, connector_id)
        if found is None:
            raise NotFound(f"no connector {connector_id}")
        return found

    def list(self) -> list[Connector]:
        with self.db.read() as tx:
            rows = tx.fetchall(f"SELECT {COLUMNS} FROM connectors ORDER BY name, id")
        return [_row(row, self.box) for row in rows]

    def save(
        self,
        tx: Tx,
        *,
        connector_id: str,
        name: str,
        type: ConnectorType,
        scope: Sequence[str],
        auto: bool,
        only_contextual: bool,
        user_id: str | None,
    ) -> Connector:
        """Create the connector, or update what it declares (its state is kept)."""
        stamp = now()
        values = (name, type.value, _json(list(scope)), int(auto), int(only_contextual), user_id)
        if self.find(tx, connector_id) is None:
            tx.execute(
                f"INSERT INTO connectors ({COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, ?, '{}', ?, NULL, NULL, ?, ?)",
                (connector_id, *values, stamp, stamp, stamp, stamp),
            )
        else:
            tx.execute(
                "UPDATE connectors SET name = ?, type = ?, scope = ?, auto = ?, "
                "only_contextual = ?, user_id = ?, last_seen_at = ?, updated_at = ? WHERE id = ?",
                (*values, stamp, stamp, connector_id),
            )
        found = self.find(tx, connector_id)
        assert found is not None
        return found

    def ping(
        self, tx: Tx, connector_id: str, *, state: str | None, info: dict[str, Any] | None
    ) -> tuple[Connector, bool]:
        """Heartbeat, or a state write. The sent state is stored, unless a reset is pending:
        then the reset is consumed and the sent state ignored, so the connector adopts the
        empty one. Returns the connector and whether a reset was consumed."""
        current = self.find(tx, connector_id)
        if current is None:
            raise NotFound(f"no connector {connector_id}")
        stamp = now()
        sets, params = ["last_seen_at = ?"], [stamp]
        if info is not None:  # a null a connector reports does not erase a known value
            sets.append("info = ?")
            known = {k: v for k, v in info.items() if v is not None or k not in current.info}
            params.append(_json({**current.info, **known}))
        if current.state_reset:
            sets.append("state_reset = 0")
        elif state is not None:
            sets += ["state = ?", "state_updated_at = ?"]
            params += [state, stamp]
        tx.execute(f"UPDATE connectors SET {', '.join(sets)} WHERE id = ?", (*params, connector_id))
        found = self.find(tx, connector_id)
        assert found is not None
        return found, current.state_reset

    def reset(self, tx: Tx, connector_id: str, *, actor_id: str | None, purged: int) -> None:
        stamp = now()
        tx.execute(
            "UPDATE connectors SET state = '', state_reset = 1, state_updated_at = ? WHERE id = ?",
            (stamp, connector_id),
        )
        tx.execute(
            "INSERT INTO connector_resets (connector_id, actor_id, purged, at) VALUES (?, ?, ?, ?)",
            (connector_id, actor_id, purged, stamp),
        )

    def resets(self, connector_id: str, *, limit: int = 20) -> list[tuple[str, str | None, int]]:
        """(at, actor id, purged) of the latest resets, newest first."""
        with self.db.read() as tx:
            rows = tx.fetchall(
                "SELECT at, actor_id, purged FROM connector_resets WHERE connector_id = ? "
                "ORDER BY id DESC LIMIT ?",
                (connector_id, limit),
            )
        return [(row[0], row[1], int(row[2])) for row in rows]

    def set_broker_account(self, tx: Tx, connector_id: str, user: str, secret: str) -> None:
        tx.execute(
            "UPDATE connectors SET broker_user = ?, broker_secret = ? WHERE id = ?",
            (user, self.box.seal(secret), connector_id),
        )

    def delete(self, tx: Tx, connector_id: str) -> None:
        tx.execute("DELETE FROM connectors WHERE id = ?", (connector_id,))
