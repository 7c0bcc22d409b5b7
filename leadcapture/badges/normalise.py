"""Field normalisation shared by every badge format: phones, countries, full names."""
from __future__ import annotations

import re
import unicodedata
from functools import cache

import phonenumbers

# Country names are read in English and in these languages (French first: most of our shows are French).
TRANSLATED_NAMES = ("fr", "de", "es", "it", "nl")
# Informal names people write on forms that pycountry does not list, in English and French.
COUNTRY_ALIASES = {
    "GB": ("UK", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland",
           "Grande-Bretagne", "Angleterre", "Écosse", "Pays de Galles", "Irlande du Nord"),
    "US": ("USA", "U.S.A.", "U.S.", "United States of America", "America", "Amérique"),
    "NL": ("Holland", "Hollande", "The Netherlands"),
    "CZ": ("Czech Republic",),
    "KR": ("South Korea", "Corée du Sud"),
    "KP": ("North Korea", "Corée du Nord"),
    "RU": ("Russia",),
    "VN": ("Vietnam",),
    "TW": ("Taiwan",),
    "IR": ("Iran",),
    "CI": ("Ivory Coast",),
}
# Lowercase words that start a family name ("Anouk van der Berg"), and the capitalised
# Irish ones ("Seán Ó Briain"): a full name is split before them, not at its last space.
NAME_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "des", "la", "le",
                            "ten", "ter", "zu", "dos", "das", "do", "bin", "ibn", "al", "el"})
IRISH_PARTICLES = frozenset({"Ó", "O", "Ní", "Nic", "Mac", "Mhic", "Uí", "Ua"})


def normalise_phone(value: str, region: str | None) -> tuple[str, str | None]:
    """A phone as written -> (E.164 form, None), or (the value unchanged, why) when it cannot be read.

    `region` is the ISO code used for national numbers ("01 23 45 67 89" at a
    French show). Numbers with an extension are kept as written: E.164 has no
    place for it.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        where = f"for {region}" if region else "without the event's country"
        return value, f"phone {value!r} kept as written: not a number we can read {where}"
    if number.extension:
        return value, None
    if not phonenumbers.is_possible_number(number):
        return value, f"phone {value!r} kept as written: too short or too long for its country"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def country_code(value: str) -> str | None:
    """A country as written (ISO code, English or French name) -> ISO 3166 alpha-2 code, or None."""
    return _country_names().get(_fold(value))


@cache
def _country_names() -> dict[str, str]:
    """Folded name or code -> alpha-2, built once: pycountry's codes and names, in English and translated."""
    import gettext

    import pycountry  # imported here: it takes longer to import than everything else in badges

    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
                    for lang in TRANSLATED_NAMES]
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names[_fold(code)] = names[_fold(country.alpha_3)] = code
        for name in filter(None, (country.name, getattr(country, "official_name", None),
                                  getattr(country, "common_name", None))):
            for variant in (name, *(t.gettext(name) for t in translations)):
                names.setdefault(_fold(variant), code)
                # "Bolivia, Plurinational State of" is written "Bolivia"; but "Korea, ..." is two countries.
                short.setdefault(_fold(variant.split(",")[0]), set()).add(code)
    for key, codes in short.items():
        if len(codes) == 1:
            names.setdefault(key, codes.pop())
    for code, aliases in COUNTRY_ALIASES.items():
        for alias in aliases:
            names[_fold(alias)] = code
    return names


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).casefold())


def split_full_name(full: str) -> tuple[str | None, str]:
    """"Jean-Luc Picard" -> ("Jean-Luc", "Picard"); "Anouk van der Berg" -> ("Anouk", "van der Berg").

    "Dupont, Jean" is read as last name first. A single word is a last name.
    This is a guess (two-word Spanish surnames, family-name-first orders), so
    callers warn when they use it.
    """
    full = " ".join(full.split())
    last, comma, first = full.partition(",")
    if comma and first.strip():
        return first.strip(), last.strip()
    words = full.split(" ")
    if len(words) == 1:
        return None, full
    for i in range(1, len(words) - 1):
        word = words[i]
        if (word in NAME_PARTICLES) or (word in IRISH_PARTICLES):
            return " ".join(words[:i]), " ".join(words[i:])
    return " ".join(words[:-1]), words[-1]
