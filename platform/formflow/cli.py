"""The `formflow` command line: parse, call a service, print."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.orm import Session


def _session() -> Session:
    return current_app.extensions["formflow.sessionmaker"]()


def _engine():  # noqa: ANN202
    return current_app.extensions["formflow.engine"]


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder and bring the database schema up to date."""
    from formflow import migrate

    migrate.upgrade(_engine())
    click.echo(f"database ready: {current_app.config['DATABASE_URL']}")


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the schema to REVISION (default: head)."""
    from formflow import migrate

    migrate.upgrade(_engine(), revision)
    click.echo(f"at revision {migrate.current(_engine())}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision."""
    from formflow import migrate

    click.echo(migrate.current(_engine()) or "empty")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for Formflow developers)."""
    from formflow import migrate

    migrate.make_revision(_engine(), message)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--threads", default=4, show_default=True, help="threads per worker")
@with_appcontext
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve Formflow with gunicorn."""
    from gunicorn.app.base import BaseApplication

    overrides = dict(current_app.config)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")

        def load(self) -> Flask:
            from formflow.app import create_app

            return create_app(overrides, instance_path=current_app.instance_path)

    current_app.extensions["formflow.engine"].dispose()
    click.echo(f"Formflow on http://{host}:{port}/")
    Server().run()


@click.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--password", help="asked for when not given")
@click.option("--workspace", "workspace_slug", help="add to this workspace")
@click.option("--role", default="member", type=click.Choice(["admin", "member"]), show_default=True)
@with_appcontext
def user_create(email: str, name: str, password: str | None, workspace_slug: str | None, role: str) -> None:
    """Create a user, optionally as a member of a workspace."""
    from formflow.accounts import service

    password = password or getpass.getpass("Password: ")
    with _session() as session:
        user = service.create_user(session, email=email, name=name, password=password)
        if workspace_slug:
            service.add_member(session, service.workspace_by_slug(session, workspace_slug), user, role)
        click.echo(f"user {user.id} {user.email}")


@click.group("workspace")
def workspace_group() -> None:
    """Workspaces."""


@workspace_group.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--timezone", default=None, help="IANA timezone (default: DEFAULT_TIMEZONE)")
@with_appcontext
def workspace_create(slug: str, name: str, timezone: str | None) -> None:
    """Create a workspace."""
    from formflow.accounts import service

    with _session() as session:
        workspace = service.create_workspace(
            session, slug=slug, name=name, timezone=timezone or current_app.config["DEFAULT_TIMEZONE"])
        click.echo(f"workspace {workspace.id} {workspace.slug}")


@click.group("token")
def token_group() -> None:
    """Personal API tokens."""


@token_group.command("create")
@click.option("--email", required=True, help="the token's user")
@click.option("--workspace", "workspace_slug", required=True)
@click.option("--name", default="cli", show_default=True)
@with_appcontext
def token_create(email: str, workspace_slug: str, name: str) -> None:
    """Create a bearer token and print it once (only its hash is kept)."""
    from formflow.accounts import service, tokens

    with _session() as session:
        user = service.user_by_email(session, email)
        workspace = service.workspace_by_slug(session, workspace_slug)
        _token, plaintext = tokens.create_token(session, user, workspace, name)
        click.echo(plaintext)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    from formflow.accounts import tokens

    with _session() as session:
        tokens.revoke_token(session, token_id)
        click.echo(f"token {token_id} revoked")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="do nothing when a workspace exists already")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Create a demo workspace with an admin (admin@example.com / formflow-demo) and sample leads."""
    from formflow import demo

    with _session() as session:
        if if_empty and demo.has_workspaces(session):
            click.echo("demo skipped: the database has a workspace")
            return
        summary = demo.load(session)
        click.echo(summary)


def register_commands(app: Flask) -> None:
    """Attach Formflow's commands to ``app.cli``."""
    for command in (init_command, db_group, serve_command, user_group, workspace_group, token_group,
                    demo_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from formflow.app import create_app

    return create_app()


def main() -> None:
    """Entry point of the `formflow` console script."""
    group = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                       load_dotenv=False, help="Formflow: no-code CRM processes.")
    sys.exit(group.main())
