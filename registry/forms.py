"""Admin forms: bundle upload and vocabulary CSV import."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from registry.models import SignLanguage


class BundleUploadForm(forms.Form):
    language = forms.ModelChoiceField(
        SignLanguage.objects.all(), label=_("Sign language"),
        help_text=_("The bundle's glosses must all be in this language's vocabulary."),
    )
    bundle = forms.FileField(
        label=_("Bundle (.zip)"),
        validators=[FileExtensionValidator(["zip"])],
        help_text=_("A .zip of a bundle folder as 'slrweb train-isolated' or "
                    "'slrweb train-translation' writes it (bundle.json, config.json, "
                    "model.safetensors, vocab.txt or spm.model, metrics.json)."),
    )
    activate = forms.BooleanField(
        label=_("Activate it when it passes validation"), required=False,
        help_text=_("Otherwise it is registered as a candidate that you can compare and "
                    "activate later."),
    )


class VocabularyImportForm(forms.Form):
    csv_file = forms.FileField(
        label=_("CSV file"),
        validators=[FileExtensionValidator(["csv", "txt"])],
        help_text=_("UTF-8, a header row with the columns gloss, description, reference_clip "
                    "(only gloss is required). Existing glosses are updated, none is deleted."),
    )
