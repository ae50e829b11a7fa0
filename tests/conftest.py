"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when FORMFLOW_TEST_DATABASE_URL is set),
the app, a session, and factories for workspaces, users and actors."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db_helpers import fresh_database
from formflow.accounts.models import Membership, User, Workspace
from formflow.app import create_app
from formflow.db import make_engine, make_sessionmaker
from formflow.i18n import use_locale
from formflow.models import Base
from formflow.permissions.actor import Actor, load_actor

_counter = itertools.count()


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    """Service messages in English unless a test asks for another locale; no locale leaks between tests."""
    with use_locale("en"):
        yield


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty Formflow schema to copy for each test: a SQLite file, or a PostgreSQL template database."""
    with fresh_database(tmp_path_factory.mktemp("template")) as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        # what fresh_database copies from: the SQLite file's path, or the PostgreSQL database's name
        yield make_url(url).database


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database for one test, copied from the template."""
    with fresh_database(tmp_path, database_template) as url:
        yield url


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """A Formflow app on the test's own database."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "UPLOAD_DIR": str(tmp_path / "uploads")}, instance_path=str(tmp_path / "instance"))
    yield app
    app.extensions["formflow.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session on the test's database (services commit through it)."""
    session = make_sessionmaker(app.extensions["formflow.engine"])()
    yield session
    session.close()


@pytest.fixture
def make_workspace(session: Session) -> Callable[..., Workspace]:
    def make(name: str = "Acme", slug: str | None = None, timezone: str = "Asia/Shanghai") -> Workspace:
        workspace = Workspace(name=name, slug=slug or f"ws{next(_counter)}", timezone=timezone)
        session.add(workspace)
        session.commit()
        return workspace

    return make


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Create a user, a member (or admin) of ``workspace`` when given; password 'secret-pass'."""
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash("secret-pass", method="pbkdf2:sha256:1000")

    def make(workspace: Workspace | None = None, role: str = "member", name: str = "Ada",
             email: str | None = None, department_id: int | None = None) -> User:
        user = User(email=email or f"user{next(_counter)}@example.com", name=name,
                    password_hash=password_hash)
        session.add(user)
        session.flush()
        if workspace is not None:
            session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role,
                                   department_id=department_id))
        session.commit()
        return user

    return make


@pytest.fixture
def workspace(make_workspace) -> Workspace:
    return make_workspace()


@pytest.fixture
def admin(session: Session, make_user, workspace: Workspace) -> Actor:
    """An admin actor in ``workspace``."""
    return load_actor(session, make_user(workspace, role="admin", name="Admin"), workspace)


@pytest.fixture
def member(session: Session, make_user, workspace: Workspace) -> Actor:
    """A member actor in ``workspace``."""
    return load_actor(session, make_user(workspace, role="member", name="Rep"), workspace)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migrations)."""
    with fresh_database(tmp_path) as url:
        yield url
