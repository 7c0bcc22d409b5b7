"""The database: engine, session factory and declarative base.

SQLite (a booth laptop) and PostgreSQL (a central server) run the same code.
On SQLite every transaction starts with BEGIN IMMEDIATE: writers queue on the
busy timeout instead of failing with "database is locked" when a read
transaction later tries to write, which is what keeps concurrent kiosk uploads
safe on one file.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, MetaData, create_engine, event, insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC; SQLite gives them back naive, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and serialised writers."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # One connection: SQLite has one writer anyway, and threads queueing on the pool are
    # served in order, where threads contending for the file lock nap in the busy handler
    # (up to 100 ms a try) and make the slowest kiosk uploads wait seconds.
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=1, max_overflow=0, pool_timeout=60, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


def insert_all(session: Session, objects: list, key: str) -> None:
    """INSERT new ORM objects of one class in one statement and attach them to the session.

    The unit of work would send one INSERT per row here (SQLite cannot batch
    INSERTs whose ids it must return), which made batch ingest crawl. Unset
    columns get their Python defaults first, so the attached objects hold
    exactly what the row holds and nothing is reloaded. `key` names a column
    unique among `objects`; the new ids are matched back through it.
    """
    if not objects:
        return
    table = type(objects[0]).__table__
    columns = [c.key for c in table.columns if not c.primary_key]
    defaults = [(c.key, c.default) for c in table.columns if c.default is not None and not c.primary_key]
    rows = []
    for obj in objects:
        values = obj.__dict__  # plain reads: instrumented getattr was most of the cost
        for name, default in defaults:
            if values.get(name) is None:
                set_committed_value(obj, name, default.arg if default.is_scalar else default.arg(None))
        rows.append({name: values.get(name) for name in columns})
    # Core, on the session's connection: the ORM's bulk path would build objects we already have.
    ids = dict(session.connection().execute(insert(table).returning(table.c[key], table.c.id), rows).all())
    for obj in objects:
        obj.id = ids[obj.__dict__[key]]
        make_transient_to_detached(obj)
        session.add(obj)
