"""Find the user's Kaggle credentials where the official client looks, without using them.

The push script checks for credentials before it builds or uploads anything, so a missing key
is a clear error up front instead of the client's help text and ``exit(1)`` in the middle of a
run. The places and their order follow ``kaggle`` 2.2.5 (``KaggleApi.authenticate``): an access
token (``KAGGLE_API_TOKEN``, or ``~/.kaggle/access_token``), then the legacy API key
(``KAGGLE_USERNAME``/``KAGGLE_KEY`` over ``kaggle.json`` in the config folder), then the OAuth
login of ``kaggle auth login`` (``~/.kaggle/credentials.json``).

The secret values are kept only to make sure they never end up in a kernel folder; they are
never printed (``repr`` hides them) and never written anywhere.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

__all__ = ["Credentials", "CredentialsError", "config_dir", "find_credentials",
           "require_credentials", "local_username", "find_secret_leaks"]

TOKEN_ENV = "KAGGLE_API_TOKEN"
USERNAME_ENV = "KAGGLE_USERNAME"
KEY_ENV = "KAGGLE_KEY"
CONFIG_DIR_ENV = "KAGGLE_CONFIG_DIR"
CREDENTIAL_FILE_NAMES = ("kaggle.json", "access_token", "access_token.txt", "credentials.json")


class CredentialsError(FileNotFoundError):
    """No usable Kaggle credentials: the message says where to put them."""


@dataclass(frozen=True)
class Credentials:
    """Which credentials the official client will use, and whose they are."""

    kind: str  # "token", "key" or "oauth"
    source: str  # where they were found, for messages (never the secret itself)
    username: str  # "" for an access token: only the server can tell whose it is
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or os.path.expanduser("~"))


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder holding ``kaggle.json``, resolved like the client does, but now.

    ``KAGGLE_CONFIG_DIR``, else ``~/.kaggle``, else (Linux) ``$XDG_CONFIG_HOME/kaggle``.
    """
    env = os.environ if environ is None else environ
    if env.get(CONFIG_DIR_ENV):
        return Path(env[CONFIG_DIR_ENV])
    legacy = _home(env) / ".kaggle"
    if legacy.exists() or not sys.platform.startswith("linux"):
        return legacy
    return Path(env.get("XDG_CONFIG_HOME") or _home(env) / ".config") / "kaggle"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _token(env: Mapping[str, str]) -> Credentials | None:
    value = env.get(TOKEN_ENV, "")
    if value:
        if Path(value).is_file():
            token = _read_text(Path(value))
            return Credentials("token", f"{TOKEN_ENV} (file {value})", "", (token,)) if token \
                else None
        return Credentials("token", TOKEN_ENV, "", (value,))
    for name in ("access_token", "access_token.txt"):
        path = _home(env) / ".kaggle" / name
        token = _read_text(path) if path.is_file() else ""
        if token:
            return Credentials("token", str(path), "", (token,))
    return None


def _kaggle_json(env: Mapping[str, str]) -> tuple[Path, dict]:
    path = config_dir(env) / "kaggle.json"
    if not path.is_file():
        return path, {}
    text = _read_text(path)
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); download a fresh kaggle.json from "
                         "https://www.kaggle.com/settings (API, Create New Token)") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected {{\"username\": ..., \"key\": ...}}")
    return path, data


def _api_key(env: Mapping[str, str]) -> Credentials | None:
    path, data = _kaggle_json(env)
    username = env.get(USERNAME_ENV) or str(data.get("username") or "").strip()
    key = env.get(KEY_ENV) or str(data.get("key") or "").strip()
    if data and not (username and key):
        missing = [(field, env_name) for field, env_name, value in
                   (("username", USERNAME_ENV, username), ("key", KEY_ENV, key)) if not value]
        field, env_name = missing[0]
        state = "is empty" if field in data else "is missing"
        raise ValueError(
            f"{path}: \"{field}\" {state}, so the Kaggle client cannot sign in. Fill it in "
            f"(Create New Token at https://www.kaggle.com/settings, API section, downloads a "
            f"complete kaggle.json), or export {env_name}")
    if not (username and key):
        return None
    from_env = [name for name in (USERNAME_ENV, KEY_ENV) if env.get(name)]
    source = " and ".join(from_env) if len(from_env) == 2 else \
        f"{path}" + (f" with {from_env[0]}" if from_env else "")
    return Credentials("key", source, username, (key,))


def _oauth(env: Mapping[str, str]) -> Credentials | None:
    path = _home(env) / ".kaggle" / "credentials.json"
    try:
        data = json.loads(_read_text(path)) if path.is_file() else {}
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data.get("refresh_token"):
        return None
    secrets = tuple(str(data[k]) for k in ("refresh_token", "access_token") if data.get(k))
    return Credentials("oauth", str(path), str(data.get("username") or ""), secrets)


def find_credentials(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials the client will use, or None when there are none."""
    env = os.environ if environ is None else environ
    return _token(env) or _api_key(env) or _oauth(env)


def require_credentials(environ: Mapping[str, str] | None = None) -> Credentials:
    """Like ``find_credentials``, but a missing key is a ``CredentialsError`` saying where to
    put one."""
    env = os.environ if environ is None else environ
    found = find_credentials(env)
    if found is not None:
        return found
    folder = config_dir(env)
    raise CredentialsError(
        "No Kaggle credentials found, so nothing was built or uploaded. Create an API token at "
        "https://www.kaggle.com/settings (API section), then either\n"
        f"  - save the downloaded kaggle.json as {folder / 'kaggle.json'} (chmod 600; set "
        f"{CONFIG_DIR_ENV} to use another folder), or\n"
        f"  - export {USERNAME_ENV}=<your user name> and {KEY_ENV}=<the key>, or\n"
        f"  - export {TOKEN_ENV}=<an access token> (or save it in "
        f"{_home(env) / '.kaggle' / 'access_token'}).\n"
        "Looked for: " + ", ".join([TOKEN_ENV, f"{USERNAME_ENV}/{KEY_ENV}",
                                    str(folder / "kaggle.json"),
                                    str(_home(env) / ".kaggle" / "access_token"),
                                    str(_home(env) / ".kaggle" / "credentials.json")]))


def local_username(environ: Mapping[str, str] | None = None) -> str:
    """The user name known without asking the server ("" if only a token is available)."""
    try:
        found = find_credentials(environ)
    except ValueError:
        return ""
    return found.username if found else ""


def find_secret_leaks(folder: str | Path, credentials: Credentials) -> list[str]:
    """Files under ``folder`` that hold a credential file or a secret value (empty if none)."""
    leaks = []
    secrets = [s.encode() for s in credentials.secrets if len(s) >= 8]
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        if path.name in CREDENTIAL_FILE_NAMES:
            leaks.append(f"{path} (a credentials file)")
            continue
        data = path.read_bytes()
        if any(secret in data for secret in secrets):
            leaks.append(f"{path} (contains your {credentials.kind})")
    return leaks
