from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Username + password sign-up; no e-mail needed for a local installation."""
