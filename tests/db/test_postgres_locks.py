"""PostgreSQL: ``lock_keys`` serialises writers on the same keys without exhausting the server's
lock table (``max_locks_per_transaction`` x connections slots), however many keys one
transaction locks (a relink of thousands of waiting objects, a large batch)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from stixflow.db.base import Tx
from stixflow.db.postgres import ONE_BY_ONE, PostgresDatabase


@pytest.fixture
def db(pg_database: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(pg_database, max_size=4)
    yield database
    database.close()


def advisory_locks(db: PostgresDatabase) -> int:
    with db.read() as tx:
        return int(
            tx.scalar(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )


def test_a_transaction_locks_more_keys_than_the_lock_table_holds(db: PostgresDatabase) -> None:
    # 64 x 100 slots on a default server: 20,000 locks one by one ran out of shared memory
    keys = [f"indicator--{n:08d}" for n in range(20_000)]
    with db.transaction() as tx:
        tx.lock_keys(keys[:100])
        tx.lock_keys(keys)
        tx.lock_keys(keys[:10])
        held = advisory_locks(db)
    assert held <= ONE_BY_ONE + 2
    assert advisory_locks(db) == 0


def assert_second_waits(
    db: PostgresDatabase, first: Callable[[Tx], None], second: list[str]
) -> None:
    """A transaction locking ``second`` waits while another holds what ``first`` locked, and
    goes on once it commits."""
    holding, release, locked = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction() as tx:
            first(tx)
            holding.set()
            release.wait(10)

    def take() -> None:
        with db.transaction() as tx:
            tx.lock_keys(second)
            locked.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    taker = threading.Thread(target=take)
    taker.start()
    assert not locked.wait(0.5), "a second writer took a key the first holds"
    release.set()
    assert locked.wait(10)
    holder.join(10)
    taker.join(10)


@pytest.mark.parametrize("first_size", [1, 5_000], ids=["few keys", "many keys"])
@pytest.mark.parametrize("second_size", [1, 5_000], ids=["few keys", "many keys"])
def test_a_writer_on_the_same_key_waits_for_the_holder(
    db: PostgresDatabase, first_size: int, second_size: int
) -> None:
    first = ["shared-key", *(f"a-{n}" for n in range(first_size - 1))]
    second = ["shared-key", *(f"b-{n}" for n in range(second_size - 1))]
    assert_second_waits(db, lambda tx: tx.lock_keys(first), second)


def test_writers_on_different_keys_do_not_wait_for_each_other(db: PostgresDatabase) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction() as tx:
            tx.lock_keys([f"a-{n}" for n in range(100)])
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    started = time.monotonic()
    with db.transaction() as tx:
        tx.lock_keys([f"b-{n}" for n in range(100)])
    release.set()
    holder.join(10)
    assert time.monotonic() - started < 2.0


def test_a_lock_taken_in_an_undone_savepoint_is_taken_again(db: PostgresDatabase) -> None:
    def first(tx: Tx) -> None:
        try:
            with tx.savepoint():
                tx.lock_keys([f"k-{n}" for n in range(5_000)])  # the whole store
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        tx.lock_keys(["k-1"])  # must lock again: the savepoint released it

    assert_second_waits(db, first, ["k-1"])
