"""Payloads mangled by a keyboard-wedge scanner set to another keyboard layout than the computer.

A wedge scanner "types" the badge as key presses. When the scanner is set to
US QWERTY and the computer to French AZERTY, the same keys give other
characters: "BEGIN:VCARD" arrives as "BEGINMVCQRD" and "SB12345" as
"SB&é\"'(". Such a payload cannot be trusted character by character, so it is
diagnosed (to say how to fix the scanner) and never parsed.
"""
from __future__ import annotations

import re

# What each key gives, unshifted then shifted, on US QWERTY and on the layouts our
# booths use; the strings are aligned key by key.
_US = "1234567890-=qwertyuiop[]asdfghjkl;'zxcvbnm,./" "!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>?"
_LAYOUTS = {
    "French AZERTY": "&é\"'(-è_çà)=azertyuiop^$qsdfghjklmùwxcvbn,;:!" "1234567890°+AZERTYUIOP¨£QSDFGHJKLM%WXCVBN?./§",
    "German QWERTZ": "1234567890ß´qwertzuiopü+asdfghjklöäyxcvbnm,.-" "!\"§$%&/()=?`QWERTZUIOPÜ*ASDFGHJKLÖÄYXCVBNM;:_",
}
# (scanner layout, computer layout, table turning what arrived back into what was printed)
_MIXUPS = [
    mixup
    for name, layout in _LAYOUTS.items()
    for mixup in (("US QWERTY", name, str.maketrans(layout, _US)), (name, "US QWERTY", str.maketrans(_US, layout)))
]
_HEADERS = ("BEGIN:VCARD", "MECARD:", "BIZCARD:", "HTTP://", "HTTPS://")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]{1,119}")


def wrong_layout(text: str) -> str | None:
    """Say how to fix the scanner when `text` reads as a known badge once the layouts are swapped.

    Returns None when no layout mix-up explains the text. Only called on text
    no format accepted, so a real badge is never second-guessed.
    """
    for scanner, computer, table in _MIXUPS:
        restored = text[:20].translate(table)
        if restored.upper().startswith(_HEADERS) or _looks_like_mangled_id(text, table):
            return (f"the badge arrived with its characters swapped: read with a {scanner} keyboard it starts "
                    f"{restored!r}. The scanner types as {scanner} but this computer uses {computer}: "
                    f"set the scanner's keyboard language to {computer} (see the scanner manual's "
                    "'keyboard country' codes) or scan with the tablet's camera")
    return None


def _looks_like_mangled_id(text: str, table: dict) -> bool:
    """An id whose digits came through as the AZERTY digit row (SB&é\"'( for SB12345), and the like."""
    restored = text.translate(table)
    return (_ID.fullmatch(restored) is not None and not _ID.fullmatch(text)
            and sum(c.isdigit() for c in restored) >= 3)
