"""ISO 639-3 codes of sign languages, and the informal names bundles sometimes carry instead."""

from __future__ import annotations

import re

# A few common sign languages; any other valid code can be created in the admin.
KNOWN_LANGUAGES = {
    "ase": "American Sign Language",
    "bfi": "British Sign Language",
    "bzs": "Brazilian Sign Language",
    "csl": "Chinese Sign Language",
    "fsl": "French Sign Language",
    "gsg": "German Sign Language",
    "ins": "Indian Sign Language",
    "ise": "Italian Sign Language",
    "jsl": "Japanese Sign Language",
    "mfs": "Mexican Sign Language",
    "sgg": "Swiss-German Sign Language",
    "ssp": "Spanish Sign Language",
    "tsm": "Turkish Sign Language",
}
# Only unambiguous abbreviations: "asl" is also the ISO code of Asilulu, but no bundle means it.
ALIASES = {
    "asl": "ase",
    "bsl": "bfi",
    "libras": "bzs",
    "dgs": "gsg",
    "lsf": "fsl",
    "lis": "ise",
    "lsm": "mfs",
    "dsgs": "sgg",
}
CODE_RE = re.compile(r"^[a-z]{3}$")


def normalise_code(value: str) -> str:
    """ISO 639-3 code for a code or a known abbreviation (ASL -> ase); ValueError otherwise."""
    code = value.strip().lower()
    code = ALIASES.get(code, code)
    if not CODE_RE.match(code):
        raise ValueError(f"{value!r} is not an ISO 639-3 code (three letters, e.g. ase)")
    return code


def language_name(code: str) -> str:
    """A readable name for a code; the code itself when it is not in KNOWN_LANGUAGES."""
    return KNOWN_LANGUAGES.get(code, code)
