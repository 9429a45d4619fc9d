"""``quire createsuperuser`` and ``quire users ...``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from quire.cli.common import console, fail, open_database
from quire.core.config import get_settings
from quire.core.models import User
from quire.core.security import hash_password
from quire.core.storage import open_storage
from quire.core.users import NoHeir, UsernameTaken, create_user, delete_user

users_app = typer.Typer(help="List, create and delete users.", no_args_is_help=True)

PasswordOption = Annotated[
    str,
    typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="QUIRE_PASSWORD"),
]


def _create(username: str, password: str, email: str, superuser: bool) -> None:
    if not password:
        fail("the password must not be empty")
    database = open_database()
    try:
        with database.session() as session:
            try:
                create_user(
                    session,
                    username=username,
                    password=password,
                    email=email,
                    is_superuser=superuser,
                )
            except UsernameTaken as exc:
                fail(str(exc))
            session.commit()
    finally:
        database.dispose()
    console.print(f"created {'superuser' if superuser else 'user'} {username!r}")


def createsuperuser(
    username: Annotated[str, typer.Option(help="Login name.")] = "admin",
    email: Annotated[str, typer.Option(help="E-mail address.")] = "admin@example.com",
    password: PasswordOption = "",
) -> None:
    """Create a superuser (with home and inbox folders)."""
    _create(username, password, email, superuser=True)


@users_app.command("list")
def list_users() -> None:
    """Show every user."""
    database = open_database()
    table = Table("username", "email", "superuser", "active", "id")
    with database.session() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                user.username, user.email, str(user.is_superuser), str(user.is_active), str(user.id)
            )
    database.dispose()
    console.print(table)


@users_app.command("create")
def create(
    username: str,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    superuser: Annotated[bool, typer.Option(help="Give every permission.")] = False,
    password: PasswordOption = "",
) -> None:
    """Create a user (with home and inbox folders)."""
    _create(username, password, email, superuser=superuser)


@users_app.command("set-password")
def set_password(username: str, password: PasswordOption = "") -> None:
    """Change a user's password."""
    if not password:
        fail("the password must not be empty")
    database = open_database()
    with database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"no user named {username!r}")
        user.password = hash_password(password)
        session.commit()
    database.dispose()
    console.print(f"password of {username!r} changed")


@users_app.command("delete")
def delete(username: str, yes: Annotated[bool, typer.Option("--yes")] = False) -> None:
    """Delete a user and everything the user owns."""
    settings = get_settings()
    storage = open_storage(settings)
    database = open_database(settings)
    with database.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"no user named {username!r}")
        if not yes and not typer.confirm(f"delete {username!r} and all of their documents?"):
            raise typer.Exit(1)
        # The same operation as the API's: the files, index entries and objects go too.
        try:
            delete_user(session, storage, user.id)
        except NoHeir as exc:
            fail(str(exc))
    database.dispose()
    console.print(f"deleted {username!r}")
