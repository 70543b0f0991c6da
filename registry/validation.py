"""Checks a bundle passes before it is registered: files, config, vocabulary, a forward pass.

Every check adds readable problems to one list, so an admin sees all that is wrong with an
upload at once instead of fixing it one error at a time.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mlcore.bundle import Bundle, BundleError, read_bundle
from registry.errors import BundleRejected
from registry.languages import normalise_code

# Reserved entries (<pad>, <unk>, <blank>, ...) are model mechanics, not glosses of a language.
SPECIAL_TOKEN = re.compile(r"^<[^<>\s]+>$")
LISTED = 15  # mismatching glosses named in an error; the rest are counted


def bundle_checksum(path: str | Path) -> str:
    """sha256 over every file of a bundle folder (names and bytes, in a fixed order)."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def model_glosses(bundle: Bundle) -> list[str]:
    """The bundle's vocabulary without reserved tokens."""
    return [g for g in bundle.vocabulary if not SPECIAL_TOKEN.match(g)]


def vocabulary_problems(
    glosses: list[str], language_glosses: Iterable[str], language_label: str
) -> list[str]:
    """Why a bundle's glosses do not fit a language's vocabulary (empty list: they fit).

    Every gloss the model can output must be in the language's vocabulary; the language may
    have more (a model may cover part of it).
    """
    known = set(language_glosses)
    problems = []
    duplicates = sorted(g for g, n in Counter(glosses).items() if n > 1)
    if duplicates:
        problems.append(f"the bundle's vocabulary lists these glosses twice: {_names(duplicates)}")
    missing = sorted(set(glosses) - known)
    if not missing:
        return problems
    if not known:
        problems.append(
            f"the vocabulary of {language_label} is empty; import it (CSV) before registering "
            f"a model for it ({len(set(glosses))} glosses needed)"
        )
        return problems
    problem = (
        f"{len(missing)} of the bundle's {len(set(glosses))} glosses are not in the vocabulary "
        f"of {language_label}: {_names(missing)}"
    )
    by_case = {g.casefold(): g for g in known}
    near = [f"{g!r} (vocabulary has {by_case[g.casefold()]!r})" for g in missing
            if g.casefold() in by_case]
    if near:
        problem += f"; differing only in case: {', '.join(near[:LISTED])}"
    problems.append(problem)
    return problems


def _names(items: list[str]) -> str:
    shown = ", ".join(repr(g) for g in items[:LISTED])
    rest = len(items) - LISTED
    return shown + (f" and {rest} more" if rest > 0 else "")


def manifest_problems(bundle: Bundle, language_code: str) -> list[str]:
    """The manifest's language must name the language the bundle is registered for."""
    problems = []
    if bundle.language:
        try:
            declared = normalise_code(bundle.language)
        except ValueError:
            declared = bundle.language
        if declared != language_code:
            problems.append(
                f"the bundle was made for language {bundle.language!r}, not {language_code!r}"
            )
    if not bundle.config:
        problems.append("config.json is empty")
    if bundle.task == "isolated" and not bundle.vocabulary:
        problems.append("vocab.txt lists no glosses")
    return problems


def weights_problems(bundle: Bundle) -> list[str]:
    """The weights file must be a readable safetensors file with at least one tensor."""
    from safetensors import safe_open

    try:
        with safe_open(str(bundle.weights_path), framework="pt") as fh:
            keys = list(fh.keys())
    except Exception as exc:  # noqa: BLE001 - safetensors raises several types for bad files
        return [f"model.safetensors cannot be read: {exc}"]
    return [] if keys else ["model.safetensors holds no tensors"]


def read_checked_bundle(path: Path) -> Bundle:
    """read_bundle, with its BundleError turned into a BundleRejected."""
    try:
        return read_bundle(path)
    except BundleError as exc:
        raise BundleRejected([str(exc)]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleRejected([f"the bundle cannot be read: {exc}"]) from exc


def forward_pass_problems(bundle: Bundle) -> list[str]:
    """Load the bundle's predictor and run it once on a dummy input (see registry.smoke)."""
    from registry.smoke import run_smoke_test

    try:
        run_smoke_test(bundle)
    except Exception as exc:  # noqa: BLE001 - any failure here means the bundle cannot serve
        return [f"the test forward pass failed: {type(exc).__name__}: {exc}"]
    return []


def validate_bundle(path: Path, language_code: str, language_label: str,
                    language_glosses: Iterable[str]) -> Bundle:
    """Run every check on an unpacked bundle; return it, or raise BundleRejected with all problems.

    The forward pass runs only when the cheaper checks pass: a bundle with missing files or a
    foreign vocabulary would fail it for reasons already reported.
    """
    bundle = read_checked_bundle(path)
    problems = manifest_problems(bundle, language_code) + weights_problems(bundle)
    problems += vocabulary_problems(model_glosses(bundle), language_glosses, language_label)
    if not problems:
        problems = forward_pass_problems(bundle)
    if problems:
        raise BundleRejected(problems)
    return bundle
