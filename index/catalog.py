"""The catalog: a SQLite file beside the vectors with every meeting, item, section and chunk.

It is the index's source of truth and its transaction log. A file's rows are replaced in one
transaction, and a ``pending`` row marks a file whose vectors are being written, so a run
killed at any point is repaired by the next one (see ``index.pipeline``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.chunking import item_blocks
from index.models import AgendaItem, Chunk, Decision, Meeting, Section

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    file_key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (file_key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id TEXT PRIMARY KEY, file_key TEXT NOT NULL, source TEXT NOT NULL,
    municipality TEXT, body TEXT NOT NULL, meeting_date TEXT NOT NULL, start_time TEXT,
    location TEXT, participants TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS meetings_file ON meetings(file_key);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    number INTEGER NOT NULL, title TEXT NOT NULL, case_number TEXT, closed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_meeting ON items(meeting_id);
CREATE INDEX IF NOT EXISTS items_case ON items(case_number);
-- Looked up on every answer: is a title a standing heading ("Meddelelser")?
CREATE INDEX IF NOT EXISTS items_title ON items(title);
CREATE TABLE IF NOT EXISTS blocks (
    item_id TEXT NOT NULL, block INTEGER NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL,
    is_decision INTEGER NOT NULL, decision_body TEXT, decision_date TEXT,
    PRIMARY KEY (item_id, block)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, item_id TEXT NOT NULL, file_key TEXT NOT NULL,
    block INTEGER NOT NULL, section TEXT NOT NULL, is_decision INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, embed_text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_key);
CREATE INDEX IF NOT EXISTS chunks_item ON chunks(item_id);
"""


def _where_clause(
    bodies: Sequence[str],
    municipality: str | None,
    date_from: str | None,
    date_to: str | None,
    case_number: str | None,
) -> tuple[str, list[str]]:
    """A WHERE clause over meetings ``m`` and items ``i`` for the given filters."""
    where = "WHERE 1=1"
    args: list[str] = []
    if bodies:
        where += f" AND m.body IN ({','.join('?' * len(bodies))})"
        args += list(bodies)
    for column, value, operator in (
        ("m.municipality", municipality, "="),
        ("m.meeting_date", date_from, ">="),
        ("m.meeting_date", date_to, "<="),
        ("i.case_number", case_number, "="),
    ):
        if value:
            where += f" AND {column}{operator}?"
            args.append(value)
    return where, args


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The catalog opened for reading only, for a folder where its WAL files cannot be made."""
    uri = path.resolve().as_uri()
    try:
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        connection.execute("SELECT COUNT(*) FROM meta").fetchone()
    except sqlite3.OperationalError:
        # Immutable: no locks and no -shm; safe because nothing can write this folder now.
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
        connection.execute("SELECT COUNT(*) FROM meta").fetchone()
    return connection


@dataclass(frozen=True)
class ItemRecord:
    """An agenda item as stored, with its meeting: what a citation and the item view need."""

    item_id: str
    meeting_id: str
    source: str
    body: str
    meeting_date: str
    municipality: str | None
    item: AgendaItem

    @property
    def number(self) -> int:
        return self.item.number

    @property
    def title(self) -> str:
        return self.item.title


@dataclass(frozen=True)
class MeetingRecord:
    """A meeting as stored, without its items: when, where and who."""

    meeting_id: str
    source: str
    body: str
    meeting_date: str
    municipality: str | None
    start_time: str | None
    location: str | None
    participants: tuple[str, ...]


@dataclass(frozen=True)
class CatalogStats:
    files: int
    meetings: int
    items: int
    closed_items: int
    chunks: int
    bodies: tuple[str, ...]
    municipalities: tuple[str, ...]
    first_date: str | None
    last_date: str | None
    last_indexed: str | None


class Catalog:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, db_dir: Path, *, create: bool = True) -> Catalog:
        path = db_dir / "catalog.sqlite"
        if not create and not path.exists():
            raise FileNotFoundError(path)
        if create:
            db_dir.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the chat serves from worker threads; writes happen only in
        # `referat index`, which holds the index lock.
        connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            # Deleted rows (an item that turned closed, a removed file) are overwritten with
            # zeros, not left in free space; ``checkpoint`` then clears them out of the WAL.
            connection.execute("PRAGMA secure_delete=ON")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(SCHEMA)
        except sqlite3.OperationalError:
            connection.close()
            if create:
                raise
            # Reading a folder that cannot be written (read-only mount, full disk): WAL mode
            # needs its -shm file, which cannot be made there; nothing can write it either.
            return cls(_open_read_only(path))
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    def checkpoint(self) -> bool:
        """Copy the WAL into catalog.sqlite and empty it, so deleted text leaves the disk.

        Old versions of changed pages stay in catalog.sqlite-wal until this runs (SQLite does it
        only every ~1000 pages). ``replace_file`` and ``remove_file`` call it after their
        transaction (measured: no slower on 210 files). False when a reader kept it from
        completing (the next checkpoint, or the last connection closing, finishes it)."""
        row = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row is not None and row[0] == 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    # -- metadata ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- files ------------------------------------------------------------------------------
    def file_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT file_key, sha256 FROM files").fetchall())

    def pending_files(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT file_key FROM pending")]

    def mark_pending(self, file_keys: Iterable[str]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO pending VALUES (?)", [(k,) for k in file_keys]
            )

    def _delete_file_rows(self, file_key: str) -> None:
        meeting_ids = [
            r[0]
            for r in self._db.execute(
                "SELECT meeting_id FROM meetings WHERE file_key=?", (file_key,)
            )
        ]
        for meeting_key in meeting_ids:
            self._db.execute(
                "DELETE FROM blocks WHERE item_id IN"
                " (SELECT item_id FROM items WHERE meeting_id=?)",
                (meeting_key,),
            )
            self._db.execute("DELETE FROM items WHERE meeting_id=?", (meeting_key,))
        self._db.execute("DELETE FROM meetings WHERE file_key=?", (file_key,))
        self._db.execute("DELETE FROM chunks WHERE file_key=?", (file_key,))
        self._db.execute("DELETE FROM files WHERE file_key=?", (file_key,))

    def remove_file(self, file_key: str) -> None:
        with self._db:
            self._delete_file_rows(file_key)
            self._db.execute("DELETE FROM pending WHERE file_key=?", (file_key,))
        self.checkpoint()

    def replace_file(
        self,
        file_key: str,
        sha256: str,
        size: int,
        indexed_at: str,
        meetings: Sequence[tuple[str, Meeting, Sequence[str]]],
        chunks: Sequence[Chunk],
    ) -> None:
        """Atomically swap a file's rows. ``meetings`` holds (meeting id, meeting, item ids)."""
        with self._db:
            self._delete_file_rows(file_key)
            for meeting_key, meeting, item_ids in meetings:
                self._db.execute(
                    "INSERT OR REPLACE INTO meetings VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        meeting_key,
                        file_key,
                        meeting.source,
                        meeting.municipality,
                        meeting.body,
                        meeting.meeting_date,
                        meeting.start_time,
                        meeting.location,
                        json.dumps(list(meeting.participants), ensure_ascii=False),
                    ),
                )
                for ordinal, (key, item) in enumerate(zip(item_ids, meeting.items, strict=True)):
                    self._db.execute(
                        "INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?)",
                        (
                            key,
                            meeting_key,
                            ordinal,
                            item.number,
                            item.title,
                            item.case_number,
                            int(item.closed),
                        ),
                    )
                    if item.closed:
                        continue  # closed items keep number and title only
                    self._db.executemany(
                        "INSERT OR REPLACE INTO blocks VALUES (?,?,?,?,?,?,?)",
                        [
                            (key, n, b.name, b.text, int(b.is_decision), b.decision_body,
                             b.decision_date)
                            for n, b in enumerate(item_blocks(item))
                        ],
                    )  # fmt: skip
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.item_id,
                        file_key,
                        c.block,
                        c.section,
                        int(c.is_decision),
                        c.start,
                        c.end,
                        c.text,
                        c.embed_text,
                    )
                    for c in chunks
                ],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?)",
                (file_key, sha256, size, indexed_at),
            )
            self._db.execute("DELETE FROM pending WHERE file_key=?", (file_key,))
        # The old version's rows (an item that has turned closed) leave the WAL too, and the
        # WAL stays one file's size: on a nearly full disk, what is indexed can still be read.
        self.checkpoint()

    # -- reading ----------------------------------------------------------------------------
    def lexical_rows(self) -> list[tuple[str, str]]:
        """(chunk id, text to match) for every chunk, in a stable order."""
        return self._db.execute(
            "SELECT chunk_id, embed_text FROM chunks ORDER BY chunk_id"
        ).fetchall()

    def facet_rows(self) -> list[tuple[str, str, str, str | None, str | None]]:
        """(chunk id, meeting date, body, municipality, case number) of every chunk."""
        return self._db.execute(
            "SELECT c.chunk_id, m.meeting_date, m.body, m.municipality, i.case_number "
            "FROM chunks c JOIN items i ON i.item_id=c.item_id "
            "JOIN meetings m ON m.meeting_id=i.meeting_id ORDER BY c.chunk_id"
        ).fetchall()

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        found: dict[str, Chunk] = {}
        for start in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[start : start + 500])
            rows = self._db.execute(
                "SELECT c.chunk_id, c.text, c.embed_text, i.meeting_id, c.item_id, m.source,"
                " m.body, m.meeting_date, i.number, i.title, c.section, c.is_decision, c.start,"
                " c.end, m.municipality, i.case_number, b.decision_body, b.decision_date, c.block,"
                " i.closed"
                " FROM chunks c JOIN items i ON i.item_id=c.item_id"
                " JOIN meetings m ON m.meeting_id=i.meeting_id"
                " LEFT JOIN blocks b ON b.item_id=c.item_id AND b.block=c.block"
                f" WHERE c.chunk_id IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
            for row in rows:
                found[row[0]] = Chunk(
                    id=row[0],
                    text=row[1],
                    embed_text=row[2],
                    meeting_id=row[3],
                    item_id=row[4],
                    source=row[5],
                    body=row[6],
                    meeting_date=row[7],
                    item_number=row[8],
                    title=row[9],
                    section=row[10],
                    is_decision=bool(row[11]),
                    start=row[12],
                    end=row[13],
                    municipality=row[14],
                    case_number=row[15],
                    decision_body=row[16],
                    decision_date=row[17],
                    block=row[18],
                    closed=bool(row[19]),
                )
        return found

    _ITEM_SQL = (
        "SELECT i.item_id, i.meeting_id, m.source, m.body, m.meeting_date, m.municipality,"
        " i.number, i.title, i.case_number, i.closed FROM items i"
        " JOIN meetings m ON m.meeting_id=i.meeting_id"
    )

    def _item_records(self, where: str, args: Sequence[object]) -> list[ItemRecord]:
        rows = self._db.execute(
            f"{self._ITEM_SQL} {where} ORDER BY m.meeting_date, m.body, i.ordinal", list(args)
        ).fetchall()
        records = []
        for row in rows:
            decisions: list[Decision] = []
            sections: list[Section] = []
            if not row[9]:
                for name, text, is_decision, d_body, d_date in self._db.execute(
                    "SELECT name, text, is_decision, decision_body, decision_date FROM blocks"
                    " WHERE item_id=? ORDER BY block",
                    (row[0],),
                ):
                    if is_decision:
                        decisions.append(Decision(text=text, body=d_body, date=d_date))
                    else:
                        sections.append(Section(name=name, text=text))
            item = AgendaItem(
                number=row[6],
                title=row[7],
                case_number=row[8],
                closed=bool(row[9]),
                sections=tuple(sections),
                decisions=tuple(decisions),
            )
            records.append(ItemRecord(row[0], row[1], row[2], row[3], row[4], row[5], item))
        return records

    def item(self, item_id: str) -> ItemRecord | None:
        found = self._item_records("WHERE i.item_id=?", (item_id,))
        return found[0] if found else None

    def items_by_case(self, case_number: str) -> list[ItemRecord]:
        return self._item_records("WHERE i.case_number=?", (case_number,))

    def items_where(
        self,
        bodies: Sequence[str] = (),
        date_from: str | None = None,
        date_to: str | None = None,
        title_like: str | None = None,
    ) -> list[ItemRecord]:
        where, args = _where_clause(bodies, None, date_from, date_to, None)
        if title_like:
            where += " AND i.title LIKE ?"
            args.append(f"%{title_like}%")
        return self._item_records(where, args)

    def meetings_where(
        self, bodies: Sequence[str] = (), date_from: str | None = None, date_to: str | None = None
    ) -> list[MeetingRecord]:
        """Meetings of the given bodies within the dates (inclusive), in date order."""
        where, args = _where_clause(bodies, None, date_from, date_to, None)
        rows = self._db.execute(
            "SELECT m.meeting_id, m.source, m.body, m.meeting_date, m.municipality, m.start_time,"
            f" m.location, m.participants FROM meetings m {where}"
            " ORDER BY m.meeting_date, m.body",
            args,
        ).fetchall()
        return [
            MeetingRecord(
                meeting_id=row[0],
                source=row[1],
                body=row[2],
                meeting_date=row[3],
                municipality=row[4],
                start_time=row[5],
                location=row[6],
                participants=tuple(json.loads(row[7] or "[]")),
            )
            for row in rows
        ]

    def first_item(self, meeting_id: str) -> ItemRecord | None:
        """The meeting's first agenda item: where a citation of the meeting itself points."""
        found = self._item_records(
            "WHERE i.meeting_id=? AND i.ordinal="
            "(SELECT MIN(ordinal) FROM items WHERE meeting_id=?)",
            (meeting_id, meeting_id),
        )
        return found[0] if found else None

    def titles_like(self, word: str, limit: int) -> list[tuple[str, str, str]]:
        """(item id, title, meeting date) of up to ``limit`` items whose title contains
        ``word``: cheap, for choosing which items to load whole."""
        rows = self._db.execute(
            "SELECT i.item_id, i.title, m.meeting_date FROM items i"
            " JOIN meetings m ON m.meeting_id=i.meeting_id WHERE i.title LIKE ? LIMIT ?",
            (f"%{word}%", limit),
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def title_count(self, title: str, limit: int) -> int:
        """How many items carry exactly ``title``, counted up to ``limit``."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM items WHERE title=? LIMIT ?)", (title, limit)
        ).fetchone()
        return int(row[0])

    def municipalities(self) -> list[str]:
        rows = self._db.execute(
            "SELECT DISTINCT municipality FROM meetings WHERE municipality IS NOT NULL"
            " ORDER BY municipality"
        )
        return [r[0] for r in rows]

    def bodies(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT body FROM meetings ORDER BY body")]

    def latest_meeting_date(self, bodies: Sequence[str] = ()) -> str | None:
        sql = "SELECT MAX(meeting_date) FROM meetings"
        if bodies:
            sql += f" WHERE body IN ({','.join('?' * len(bodies))})"
        row = self._db.execute(sql, list(bodies)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def stats(self) -> CatalogStats:
        one = self._db.execute
        files = one("SELECT COUNT(*) FROM files").fetchone()[0]
        meetings, first, last = one(
            "SELECT COUNT(*), MIN(meeting_date), MAX(meeting_date) FROM meetings"
        ).fetchone()
        items, closed = one("SELECT COUNT(*), COALESCE(SUM(closed),0) FROM items").fetchone()
        chunks = one("SELECT COUNT(*) FROM chunks").fetchone()[0]
        municipalities = tuple(self.municipalities())
        last_indexed = one("SELECT MAX(indexed_at) FROM files").fetchone()[0]
        return CatalogStats(
            files=files,
            meetings=meetings,
            items=items,
            closed_items=int(closed),
            chunks=chunks,
            bodies=tuple(self.bodies()),
            municipalities=municipalities,
            first_date=first,
            last_date=last,
            last_indexed=last_indexed,
        )
