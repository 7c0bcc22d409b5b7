"""Connector secrets encrypted at rest with Fernet.

The key comes from LEADCAPTURE_FERNET_KEY (several keys separated by commas:
the first encrypts, all decrypt, so a key can be rotated), or else from
`fernet.key` in the instance folder, created once with mode 0600. Losing the
key loses the stored secrets (they must be entered again), never the leads.
"""
from __future__ import annotations

import json
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from leadcapture.config import instance_path

KEY_ENV = "LEADCAPTURE_FERNET_KEY"


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with a key we no longer have."""


def _fernet() -> MultiFernet:
    raw = os.environ.get(KEY_ENV)
    if raw:
        keys = [k.strip() for k in raw.split(",") if k.strip()]
    else:
        keys = [_instance_key()]
    return MultiFernet([Fernet(k) for k in keys])


def _instance_key() -> str:
    path = instance_path() / "fernet.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file (0600 from the start), then linked into place:
    # a second process starting at the same moment either wins the link or reads the winner's key.
    tmp = path.with_name(f".fernet.key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def encrypt_secrets(secrets: dict) -> str | None:
    """A Fernet token of the secrets as JSON, or None when there are none."""
    if not secrets:
        return None
    return _fernet().encrypt(json.dumps(secrets).encode()).decode()


def decrypt_secrets(token: str | None) -> dict:
    """The secrets dict; raises SecretsUnreadable if the key changed."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretsUnreadable(
            f"the connector's secrets cannot be decrypted with the current key ({KEY_ENV} or "
            "instance/fernet.key changed); enter them again") from None
