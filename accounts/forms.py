"""Sign-up form (a username and a password; no e-mail needed) and the new API token form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

# Lifetimes offered for a new token, in days; no "never": a forgotten token must run out.
TOKEN_DAYS = (7, 30, 90, 365)


class SignUpForm(UserCreationForm):
    """UserCreationForm with autocomplete hints so password managers fill the right fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, required=False,
        help_text=_("What the token is for, to tell your tokens apart."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"), coerce=int, initial=90,
        choices=[(d, _("%(days)d days") % {"days": d}) for d in TOKEN_DAYS],
    )
