"""Register the bundled default models (idempotent): languages, vocabularies, versions.

For every bundle folder under settings.SLRWEB_MODELS_DIR (absent folders are skipped):
create its sign language and add its glosses to the vocabulary, register it as a version
(unless the same bundle is registered already) and activate one version per (language, task)
when none is active. Run it again after retraining: a changed bundle becomes a new candidate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mlcore.bundle import MANIFEST, Bundle, BundleError, read_bundle
from registry import selectors, services
from registry.compat import serving_problem
from registry.errors import RegistryError
from registry.models import ModelVersion
from registry.validation import bundle_checksum, model_glosses


def servable(bundle: Bundle, language_code: str) -> bool:
    """Whether the job pipeline can run this bundle for the language (registry.compat).

    Gloss-input translators (gloss -> text, e.g. PHOENIX) are registered but not activated
    while the language has no continuous-recognition model to feed them glosses: they would
    fail every job of their language.
    """
    return serving_problem(bundle.task, bundle.config, language_code) is None


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models-dir", type=Path, default=None,
                            help="folder of bundle folders (default: settings.SLRWEB_MODELS_DIR)")
        parser.add_argument("--prefer", action="append", default=[], metavar="NAME",
                            help="bundle name to activate first when several serve the same "
                                 "language and task (repeatable; default: alphabetical)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["models_dir"] or settings.SLRWEB_MODELS_DIR)
        folders = sorted(p.parent for p in root.glob(f"*/{MANIFEST}")) if root.is_dir() else []
        if not folders:
            self.stdout.write(f"No model bundles under {root}; nothing to load.")
            return
        prefer = options["prefer"]
        folders.sort(key=lambda p: (prefer.index(p.name) if p.name in prefer else len(prefer),
                                    p.name))
        for folder in folders:
            self._load(folder)

    def _load(self, folder: Path) -> None:
        try:
            bundle = read_bundle(folder)
            language = services.ensure_language(
                bundle.language or str(bundle.config.get("language", ""))
            )
        except (BundleError, ValueError) as exc:
            self.stderr.write(f"skipped {folder.name}: {exc}")
            return
        added = services.add_glosses(language, model_glosses(bundle))
        if added:
            self.stdout.write(f"{language.code}: added {added} glosses from {folder.name}")
        version = ModelVersion.objects.filter(
            language=language, task=bundle.task, checksum=bundle_checksum(folder)
        ).first()
        new = version is None
        if version is None:
            try:
                version = services.register_bundle(folder, language)
            except RegistryError as exc:
                self.stderr.write(f"skipped {folder.name}: {exc}")
                return
            self.stdout.write(f"registered {version.label} ({language.code}/{bundle.task})")
        if selectors.active_model(language.code, bundle.task) is None:
            if servable(bundle, language.code):
                services.activate_version(version, None)
                self.stdout.write(f"activated {version.label} for {language.code}/{bundle.task}")
            elif new:
                self.stdout.write(f"{version.label} takes glosses and no continuous model of "
                                  f"{language.code} gives them: registered, not activated")
