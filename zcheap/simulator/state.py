"""Simulator state in a SQLite file, so the web process and the worker see the same tasks."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY, kind TEXT, action TEXT, model TEXT, prompt TEXT, params TEXT,
  created REAL, parent TEXT, pindex INTEGER, markers TEXT, fetches INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS groups (
  id TEXT PRIMARY KEY, name TEXT, description TEXT, group_type TEXT, project_name TEXT,
  model TEXT, created REAL, updated REAL, deleted INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS assets (
  id TEXT PRIMARY KEY, group_id TEXT, name TEXT, url TEXT, asset_type TEXT, project_name TEXT,
  created REAL, updated REAL, deleted INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER);
CREATE TABLE IF NOT EXISTS limits (account TEXT PRIMARY KEY, usd REAL);
"""
# Each API key is its own account (tasks, asset groups, assets, quota): added to older files.
ACCOUNT_COLUMNS = ("tasks", "groups", "assets")


class State:
    """Thread-safe access: one sqlite3 connection per thread, WAL, a generous busy timeout."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)
            for table in ACCOUNT_COLUMNS:
                columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if "account" not in columns:
                    # another process may have added it just now
                    with contextlib.suppress(sqlite3.OperationalError):
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN account TEXT DEFAULT ''")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        return self._conn().execute(sql, args)

    def one(self, sql: str, args: tuple = ()) -> dict | None:
        row = self.execute(sql, args).fetchone()
        return dict(row) if row else None

    def all(self, sql: str, args: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.execute(sql, args).fetchall()]

    def bump(self, name: str, by: int = 1) -> None:
        self.execute(
            "INSERT INTO counters(name, n) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = n + ?",
            (name, by, by),
        )

    def counters(self) -> dict[str, int]:
        return {r["name"]: r["n"] for r in self.all("SELECT name, n FROM counters")}

    def add_task(
        self,
        task_id: str,
        kind: str,
        action: str,
        model: str,
        prompt: str,
        params: dict,
        parent: str = "",
        pindex: int = 0,
        markers: str = "",
        account: str = "",
    ) -> dict:
        self.execute(
            "INSERT INTO tasks(id, kind, action, model, prompt, params, created, parent, pindex,"
            " markers, account) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                task_id,
                kind,
                action,
                model,
                prompt,
                json.dumps(params),
                time.time(),
                parent,
                pindex,
                markers,
                account,
            ),
        )
        return self.task(task_id)

    def task(self, task_id: str, account: str | None = None) -> dict | None:
        """The task, or None; with ACCOUNT, only when that account owns it."""
        row = self.one("SELECT * FROM tasks WHERE id = ?", (task_id,))
        if row and account is not None and (row.get("account") or "") != account:
            return None
        if row:
            row["params"] = json.loads(row["params"] or "{}")
        return row

    def limit_usd(self, account: str, default: float) -> float:
        row = self.one("SELECT usd FROM limits WHERE account = ?", (account,))
        return row["usd"] if row else default

    def set_limit(self, account: str, usd: float) -> None:
        """Set ACCOUNT's total quota (USD); tests and demos use it to make a balance run low."""
        self.execute(
            "INSERT INTO limits(account, usd) VALUES (?, ?) ON CONFLICT(account) DO UPDATE SET"
            " usd = excluded.usd",
            (account.removeprefix("sk-"), usd),
        )

    def count_fetch(self, task_id: str) -> int:
        self.execute("UPDATE tasks SET fetches = fetches + 1 WHERE id = ?", (task_id,))
        row = self.one("SELECT fetches FROM tasks WHERE id = ?", (task_id,))
        return row["fetches"] if row else 0
