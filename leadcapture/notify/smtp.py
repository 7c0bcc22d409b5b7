"""E-mail through the SMTP server configured by LEADCAPTURE_SMTP_* environment variables."""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

TIMEOUT = 30  # seconds; well inside the queue's lease


class DeliveryError(Exception):
    """A delivery that did not happen; `permanent` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    tls: str = "starttls"  # "starttls", "ssl" (implicit TLS, usually port 465) or "none"
    user: str | None = None
    password: str | None = None
    sender: str = "leadcapture <leadcapture@localhost>"

    @classmethod
    def from_env(cls, env=os.environ) -> "SmtpSettings | None":
        """Settings from LEADCAPTURE_SMTP_HOST/PORT/TLS/USER/PASSWORD/FROM; None when no host is set.

        Raises ValueError for a port that is not a number or an unknown TLS mode.
        """
        host = env.get("LEADCAPTURE_SMTP_HOST")
        if not host:
            return None
        tls = env.get("LEADCAPTURE_SMTP_TLS", "starttls").lower()
        if tls not in ("starttls", "ssl", "none"):
            raise ValueError(f"LEADCAPTURE_SMTP_TLS={tls!r}: use starttls, ssl or none")
        default_port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
        return cls(host=host, port=int(env.get("LEADCAPTURE_SMTP_PORT") or default_port), tls=tls,
                   user=env.get("LEADCAPTURE_SMTP_USER") or None, password=env.get("LEADCAPTURE_SMTP_PASSWORD"),
                   sender=env.get("LEADCAPTURE_SMTP_FROM") or cls.sender)


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand `message` to the SMTP server. Returns once the server accepted it.

    Raises DeliveryError: permanent when the server refused the message or the
    recipient for good (5xx), otherwise (server down, timeout, 4xx) worth retrying.
    """
    if "From" not in message:
        message["From"] = settings.sender
    context = ssl.create_default_context()
    try:
        if settings.tls == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=context)
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
                            and not isinstance(exc, smtplib.SMTPAuthenticationError)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP server {settings.host}:{settings.port} unreachable: {exc}") from exc
