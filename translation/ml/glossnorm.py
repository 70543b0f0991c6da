"""One spelling for ASL glosses from NCSLGR (SignStream) and RWTH-BOSTON-104 (Udacity).

The two corpora gloss the same signs differently: NCSLGR writes `IX-1p`, `IX-3p:i`, `fs-JOHN`,
`#DOG`, `READ_2`, `TEACH+AGENT`, `SOMETHING/ONE`, `i:GIVE:j`; BOSTON-104 writes `IX-1P`, `IX`,
`JOHN`, `GIVE1`, `TEACHER`, `SOMETHING-ONE`, `POSS`. `normalize_glosses` maps a line of either
onto one canonical form, so a translator trained on NCSLGR reads a recogniser's BOSTON-style
output. What is dropped carries no meaning a sentence-level translation can use (spatial loci
`:i`, variant numbers, one-/two-handed marks, handshapes); what is kept is split into reusable
tokens (compounds, repetition, classifier descriptions) so that rare forms share vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

# Classifier types of the NCSLGR conventions (descriptive, semantic, locative, instrument, body,
# plural, body-part); kept as a token, their quoted description becomes lower-case words.
CLASSIFIERS = frozenset({"DCL", "SCL", "LCL", "ICL", "BCL", "PCL", "BPCL"})
# BOSTON-104 writes agent nouns as English words; NCSLGR as VERB+AGENT (split below).
ALIASES = {"TEACHER": "TEACH AGENT", "STUDENT": "LEARN AGENT"}
# BOSTON-104 marks first person (IX-1P, SAY-1P) and leaves other pointing/possessives bare;
# those are third person (or a location) there, which NCSLGR writes IX-3p:i, POSS-3p:j.
BARE_PERSON = {"IX": "IX-3P", "POSS": "POSS-3P", "SELF": "SELF-3P"}
REPEAT = "+"  # token for a repeated sign (BOOK+ "books", DRIVE++ "kept driving")

_QUOTED = re.compile(r'"([^"]*)"')
_HANDS = re.compile(r"\([^)]*\)|\balt\.")  # (1h), (2h), (5), (25): hands and handshapes
_PREFIX = re.compile(r"^(?:fs-|ns-|#)+")  # fingerspelled, name sign, lexicalised spelling
_VARIANT = re.compile(r"_\d+$|(?<=[A-Z]{2})\d$")  # READ_2 (NCSLGR), GIVE1 / GO2 (BOSTON)


def normalize_glosses(line: str) -> str:
    """Canonical form of a whitespace-separated gloss line from NCSLGR or BOSTON-104.

    >>> normalize_glosses('fs-JOHN i:GIVE:j IX-3p:i BOOK+ SCL:3"vehicle_sink"')
    'JOHN GIVE IX-3P BOOK + SCL vehicle sink'
    >>> normalize_glosses("IX-1P GIVE1 POSS TEACHER")
    'IX-1P GIVE POSS-3P TEACH AGENT'
    """
    return " ".join(tok for gloss in line.split() for tok in _normalize_token(gloss))


def _normalize_token(gloss: str) -> list[str]:
    """Canonical tokens of one annotation (none for an aborted sign)."""
    if gloss.lower().startswith("false"):  # false_start: an aborted sign
        return []
    quoted = _QUOTED.search(gloss)
    words = _description(quoted.group(1)) if quoted else []
    rest = _HANDS.sub("", _QUOTED.sub("", gloss))
    head = _lexical_part(rest)
    if head in CLASSIFIERS or not head:
        # Classifiers and gestures (5"you_know", "WHAT"): the description is the content.
        return ([head] if head else []) + words
    body = head.rstrip("+")  # trailing + marks repetition; an inner + or ^ joins a compound
    tokens = [t for part in re.split(r"[+^]", body) for t in _word(part)]
    return tokens + ([REPEAT] if body != head else []) + words


def _description(text: str) -> list[str]:
    """Words of a quoted description; an all-capitals gesture ("WHAT") stays a gloss."""
    words = [w for w in re.split(r"[_\s]+", text.strip(" ,.!?")) if w]
    if words and all(w.isupper() for w in words):
        return words
    return [w.lower().strip(",.!?") for w in words if w.strip(",.!?")]


def _lexical_part(token: str) -> str:
    """The sign of `i:GIVE:j`, `IX-3p:i`, `a:SCL:I-L-Y:b`: loci (`i`, `neu`, `1p`) dropped.

    A classifier keeps its type and loses its handshape (`SCL:3` -> `SCL`)."""
    parts = [p for p in token.split(":") if p]
    for part in parts:
        if part.upper() in CLASSIFIERS:
            return part.upper()
    lexical = [p for p in parts if any(c.isupper() for c in p)]
    if lexical:
        return lexical[0]
    # No upper-case part: a marker such as part:indef, or a bare handshape (5 of a gesture).
    return "-".join(parts).upper() if any(c.isalpha() for c in token) else ""


def _word(part: str) -> list[str]:
    """Tokens of one sign after compounds were split: prefixes and variants removed."""
    word = _VARIANT.sub("", _PREFIX.sub("", part)).replace("/", "-").upper()
    if not word:
        return []
    return ALIASES[word].split() if word in ALIASES else [BARE_PERSON.get(word, word)]


def copy_baseline(line: str) -> str:
    """The copy baseline of the gloss->English evaluation: the glosses lower-cased, as text."""
    return line.lower()


def _identity(line: str) -> str:
    return line


# Bundles name their normaliser in config.json ("gloss_normalizer"); absent = glosses as given.
NORMALIZERS = {"asl": normalize_glosses}


def gloss_normalizer(name: str | None) -> Callable[[str], str]:
    """The normaliser a bundle or command line names (None or "" = leave glosses as they are)."""
    if not name:
        return _identity
    if name not in NORMALIZERS:
        raise ValueError(f"unknown gloss normaliser {name!r} (known: {', '.join(NORMALIZERS)})")
    return NORMALIZERS[name]


# English -> pseudo-glosses (rule-based "text2gloss", after Moryossef et al. 2021, "Data
# augmentation for sign language gloss translation"): glosses drop articles, copulas and most
# inflection, and point for pronouns. Pairs (pseudo_glosses(text), text) built from the training
# English teach a small translator which gloss becomes which word; dev/test text is never used.
_DROPPED = frozenset(
    "a an the is are was were be been being am 's do does did to of".split())
_PRONOUNS = {
    "i": "IX-1P", "me": "IX-1P", "myself": "SELF-1P", "my": "POSS-1P", "mine": "POSS-1P",
    "we": "IX-1P-PL-ARC", "us": "IX-1P-PL-ARC", "our": "POSS-1P", "you": "IX-2P",
    "your": "POSS-2P", "he": "IX-3P", "she": "IX-3P", "it": "IX-3P", "him": "IX-3P",
    "her": "POSS-3P", "his": "POSS-3P", "its": "POSS-3P", "they": "IX-3P", "them": "IX-3P",
    "their": "POSS-3P", "there": "IX-LOC", "here": "HERE",
}
_NEGATED = {"can't": ["CAN", "NOT"], "cannot": ["CAN", "NOT"], "won't": ["WILL", "NOT"]}
_SUFFIXES = ("s", "es", "d", "ed", "ing")  # tried in this order against the known glosses
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+")


def pseudo_glosses(text: str, known: Collection[str] = ()) -> str:
    """A gloss-like line for an English sentence, in normalize_glosses' canonical spelling.
    `known`: glosses of the corpus; an inflected word becomes the known gloss of its stem
    (DECIDED -> DECIDE, SUITCASES -> SUITCASE).

    >>> pseudo_glosses("My mother's grandfather decided it.", {"DECIDE"})
    'POSS-1P MOTHER GRANDFATHER DECIDE IX-3P'
    """
    out: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower()
        stem = low[:-2] if low.endswith("'s") else low
        if low in _NEGATED:
            out.extend(_NEGATED[low])
        elif low.endswith("n't"):  # didn't, isn't: the sign is NOT (after a lexical verb)
            verb = stem[:-3]
            out.extend(([] if verb in _DROPPED or verb == "did" else [_lemma(verb, known)])
                       + ["NOT"])
        elif low not in _DROPPED and stem not in _DROPPED:
            out.append(_PRONOUNS.get(stem) or _lemma(stem, known))
    return " ".join(out)


def _lemma(word: str, known: Collection[str]) -> str:
    upper = word.upper()
    if upper in known:
        return upper
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and (base := upper[: -len(suffix)]) in known:
            return base
    return upper
