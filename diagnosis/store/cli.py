"""`beltdoctor users add|list` and `beltdoctor workspace export|import`: logins and backups from the command line.

Passwords are read from a prompt (or stdin with --password-stdin), hashed with bcrypt by streamlit-authenticator and
never echoed or stored in clear.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def _error(what: str, message: str) -> int:
    print(f"error: {what}: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def hash_password(password: str) -> str:
    """bcrypt, as the sign-in form checks it (streamlit-authenticator uses bcrypt.checkpw); bcrypt directly, so
    adding a user does not import Streamlit."""
    import bcrypt

    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def cmd_users(args: argparse.Namespace) -> int:
    from diagnosis.store.workspace import NotFound, Workspace

    ws = Workspace()
    if args.users_command == "list":
        for user in ws.users():
            own = f" ({ws.user_merchant_slug(user.username)})" if user.role == "merchant" else ""
            print(f"{user.username}\t{user.role}{own}\t{user.name}")
        return EXIT_OK
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    if len(password) < 8:
        return _error(args.username, "the password needs at least 8 characters")
    try:
        ws.add_user(args.username, args.name or args.username, args.role, hash_password(password), args.merchant)
    except (ValueError, NotFound) as exc:
        return _error(args.username, str(exc))
    print(f"user {args.username} ({args.role}) saved")
    return EXIT_OK


def cmd_workspace(args: argparse.Namespace) -> int:
    from diagnosis.store.backup import BackupError, export_zip, import_zip
    from diagnosis.store.workspace import Workspace

    ws = Workspace()
    path = Path(args.file)
    if args.workspace_command == "export":
        path.write_bytes(export_zip(ws))
        print(f"wrote {path}")
        return EXIT_OK
    try:
        counts = import_zip(ws, path.read_bytes())
    except OSError as exc:
        return _error(str(path), exc.strerror or str(exc))
    except BackupError as exc:
        return _error(str(path), str(exc))
    print(", ".join(f"{n} {table}" for table, n in counts.items()))
    return EXIT_OK


def add_users_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="users_command", required=True)
    p = sub.add_parser("add", help="add or update a login")
    p.add_argument("username")
    p.add_argument("--role", choices=("provider", "merchant"), required=True)
    p.add_argument("--merchant", metavar="SLUG", help="the store a merchant login belongs to")
    p.add_argument("--name", default=None)
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead of a prompt")
    sub.add_parser("list", help="list logins")


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="workspace_command", required=True)
    sub.add_parser("export", help="write the whole workspace to a zip").add_argument("file", metavar="BACKUP.zip")
    sub.add_parser("import", help="load a backup into an empty workspace").add_argument("file", metavar="BACKUP.zip")
