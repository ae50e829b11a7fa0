"""Every setting Formflow reads, once, with its default and help.

Settings come from `FORMFLOW_*` environment variables (``FORMFLOW_DATABASE_URL``...) through
Flask's ``from_prefixed_env``, or from the mapping passed to ``create_app``. Nothing else in the
package reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None,
            "SQLAlchemy URL of the database; default: SQLite at <instance>/formflow.db."),
    Setting("SECRET_KEY", None,
            "Key signing sessions and tokens; default: a random key kept in <instance>/secret_key."),
    Setting("DEFAULT_TIMEZONE", "Asia/Shanghai", "Timezone of new workspaces (IANA name)."),
    Setting("DEFAULT_LOCALE", "zh_CN", "Interface language when the user has not chosen one (zh_CN or en)."),
    Setting("MAX_CONTENT_LENGTH", 2 * 1024 * 1024,
            "Largest request body in bytes; larger bodies get 413."),
    Setting("UPLOAD_DIR", None, "Folder for uploaded files; default: <instance>/uploads."),
    Setting("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, "Largest single attachment in bytes."),
    Setting("PAGE_SIZE", 50, "Records per page when a list does not ask."),
    Setting("MAX_PAGE_SIZE", 500, "Most records one page may ask for."),
    Setting("EXACT_COUNT_LIMIT", 10_000,
            "Lists count exactly up to this many matches; beyond, the count is an estimate."),
    Setting("MAX_SCHEMA_FIELDS", 500, "Most fields one form may define."),
    Setting("MAX_CONDITION_DEPTH", 12, "Deepest nesting of a condition tree."),
    Setting("REGEX_TIMEOUT", 0.05, "Seconds a field's pattern may run on one value before it is refused."),
    Setting("SQLITE_MODULE", "auto",
            "SQLite driver: 'auto' (pysqlite3 when installed: SQLite 3.51 with JSONB), 'pysqlite3' "
            "or 'sqlite3'."),
)

SUPPORTED_LOCALES = ("zh_CN", "en")


def defaults(instance_path: Path) -> dict[str, Any]:
    """The default value of each setting for an instance folder."""
    values = {setting.name: setting.default for setting in SETTINGS}
    values["DATABASE_URL"] = f"sqlite:///{instance_path / 'formflow.db'}"
    values["UPLOAD_DIR"] = str(instance_path / "uploads")
    return values


def secret_key(instance_path: Path) -> str:
    """The instance's secret key, created once and kept in the instance folder."""
    import secrets

    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
