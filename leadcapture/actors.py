"""Who is acting: a user, a paired device, the command line or the system itself."""
from __future__ import annotations

from dataclasses import dataclass

from .models import Device, Role, User


@dataclass(frozen=True)
class Actor:
    kind: str  # "user", "device", "cli", "system"
    label: str
    user: User | None = None
    device: Device | None = None

    @property
    def id(self) -> int | None:
        if self.user is not None:
            return self.user.id
        return self.device.id if self.device is not None else None

    @classmethod
    def for_user(cls, user: User) -> "Actor":
        return cls("user", user.name, user=user)

    @classmethod
    def for_device(cls, device: Device) -> "Actor":
        return cls("device", device.name, device=device)

    @classmethod
    def cli(cls) -> "Actor":
        return cls("cli", "command line")

    def can_reach_event(self, event_id: int) -> bool:
        """Devices reach their own event; admins every event; other users the events they work."""
        if self.device is not None:
            return self.device.event_id == event_id
        if self.user is None:
            return self.kind in ("cli", "system")
        if self.user.role == Role.ADMIN.value:
            return True
        return any(e.id == event_id for e in self.user.events)

    @property
    def is_rep(self) -> bool:
        return self.user is not None and self.user.role == Role.REP.value
