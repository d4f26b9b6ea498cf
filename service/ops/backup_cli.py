"""``relief backup`` and ``relief restore`` (docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    """Add the ``backup`` and ``restore`` commands to the ``relief`` parser."""
    backup = commands.add_parser(
        "backup",
        help="copy the database (a consistent snapshot, while the service runs) and the "
        "documents it names into a new directory, with a manifest; exit 1 on any failure",
    )
    backup.add_argument("directory", metavar="DIR", type=Path, help="a new or empty directory")
    backup.set_defaults(func=_backup)

    restore = commands.add_parser(
        "restore",
        help="check a backup's every checksum and restore it into the configured database "
        "and files directory (stop the servers and workers first)",
    )
    restore.add_argument(
        "directory", metavar="DIR", type=Path, help="a directory relief backup wrote"
    )
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database that already holds data (everything in it is lost)",
    )
    restore.set_defaults(func=_restore)


def _failed(error: Exception) -> int:
    print(f"relief: {error}", file=sys.stderr)  # noqa: T201
    return 1


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # unreachable


def _heads(heads: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{county}@{head['seq']}" for county, head in heads.items()) or "none"


def _backup(args: argparse.Namespace) -> int:
    from service.config import get_settings
    from service.ops import backup

    try:
        manifest = asyncio.run(backup.backup(get_settings(), args.directory))
    except backup.BackupError as error:
        return _failed(error)
    size = sum(entry["size"] for entry in manifest["files"].values())
    rows = manifest["rows"]
    print(  # noqa: T201
        f"backup written to {args.directory}: {_size(size)}, {manifest['backend']} revision "
        f"{manifest['alembic_revision']}, {len(rows)} tables ({sum(rows.values())} rows), "
        f"{manifest['documents']} documents ({len(manifest['files']) - 1} files), "
        f"audit heads {_heads(manifest['audit_heads'])}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from service.config import get_settings
    from service.ops import restore
    from service.ops.backup import BackupError

    try:
        done = asyncio.run(restore.restore(get_settings(), args.directory, force=args.force))
    except BackupError as error:
        return _failed(error)
    manifest = done.manifest
    print(  # noqa: T201
        f"restored {args.directory} (taken {manifest['created_at']}): "
        f"{len(manifest['rows'])} tables ({done.rows} rows), {manifest['documents']} documents "
        f"({done.files} files copied), audit heads {_heads(manifest['audit_heads'])} as in the "
        "backup; now run relief audit verify and relief doctor"
    )
    return 0
