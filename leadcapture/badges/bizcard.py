"""BIZCARD badges: BIZCARD:N:Sean;X:Owen;T:Engineer;C:Acme;E:sean@acme.example;B:+1...;;

A MECARD-like format with one-letter keys: N first name, X last name, T title,
C company, E e-mail, B business phone, M mobile, A address (not read: it is
one free-text line with no reliable city).
"""
from __future__ import annotations

from .contact import RawBadge
from .mecard import key_values, unescape

FORMAT = "bizcard"
NEEDS = "a name (N or X) or an e-mail (E)"
_KEYS = {"N": "first_name", "X": "last_name", "T": "job_title", "C": "company", "E": "email"}
_PHONE_KEYS = ("B", "M")  # the business line first, the mobile when it is the only one


def parse(text: str) -> RawBadge:
    """BIZCARD text -> RawBadge; the first of repeated keys wins."""
    first: dict[str, str] = {}
    for key, value in key_values(text[len("BIZCARD:"):]):
        first.setdefault(key, value)
    fields = {name: unescape(first[key]) for key, name in _KEYS.items() if key in first}
    phone = next((unescape(first[k]) for k in _PHONE_KEYS if first.get(k, "").strip()), None)
    if phone:
        fields["phone"] = phone
    return RawBadge(format=FORMAT, fields=fields)
