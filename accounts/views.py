"""Sign up, log in, log out, and the account page with the user's API tokens.

Log in and out are django.contrib.auth's views with our templates. Failed logins are counted by
django-axes (its middleware answers a locked-out attempt with registration/locked_out.html);
sign-ups are rate limited per address. Both move the browser session's anonymous jobs to the
account.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services
from accounts.anonymous import announce_login, login_and_claim
from accounts.forms import SignUpForm, TokenForm
from accounts.throttling import SIGNUP_THROTTLE

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log it in; go on to `next` (a local URL) or the home page."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    if request.method == "POST" and not SIGNUP_THROTTLE.allow_request(request):
        return render(request, "registration/locked_out.html", {"signup": True}, status=429)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_and_claim(request, form.save(), backend=MODEL_BACKEND)
        return redirect(_safe_next(request))
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


class LoginView(auth_views.LoginView):
    """A logged-in visitor of the login page goes straight on to where they were heading."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        # The session key changes at login; the anonymous jobs carry the old one.
        previous_key = self.request.session.session_key or ""
        response = super().form_valid(form)
        announce_login(previous_key, self.request.user)
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot log anybody out by surprise."""


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: their API tokens, and a form to make one."""
    return _account_page(request, TokenForm())


def _account_page(
    request: HttpRequest, form: TokenForm, new_token: Any = None, status: int = 200
) -> HttpResponse:
    tokens = request.user.api_tokens.all()  # type: ignore[union-attr]
    return render(request, "accounts/account.html", {
        "form": form, "tokens": tokens, "new_token": new_token,
    }, status=status)


@never_cache
@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Make a token and show its key on this response only (never stored, never shown again).

    Rendered rather than redirected: a redirect would have to park the key somewhere first."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, form, status=400)
    token = services.issue_token(
        request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
    )
    return _account_page(request, TokenForm(), new_token=token, status=201)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another user's token is a 404)."""
    if not services.revoke_token(request.user, token_id):
        raise Http404("No such token.")
    return redirect("accounts:account")
