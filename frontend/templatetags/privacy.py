"""`{% privacy_mode as privacy %}`: what the page's "keep my video on this device" switch needs."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static

from frontend import vendor

register = template.Library()


@register.simple_tag
def privacy_mode() -> dict[str, Any]:
    """available: the browser's Holistic is installed (`slrweb vendor`); base_url: its static
    folder; fps: the rate the server's extraction reads (SLRWEB_EXTRACT_FPS), which the browser
    reads too so that both give the same frames; hands_url: the static folder of the browser's
    MediaPipe Hands ("" when it is not installed); recover_languages: the languages whose jobs
    recover the hands Holistic lost (registry.selectors.hand_recovery_languages), which the
    browser then recovers too, as the server would."""
    from registry.selectors import hand_recovery_languages

    def folder(package: vendor.NpmPackage) -> str:
        return static(f"{vendor.STATIC_PREFIX}/{package.folder}/")

    hands = vendor.is_installed(vendor.HANDS, vendor.VENDOR_DIR)
    return {
        "available": vendor.is_installed(vendor.HOLISTIC, vendor.VENDOR_DIR),
        "base_url": folder(vendor.HOLISTIC),
        "fps": settings.SLRWEB_EXTRACT_FPS,  # 0: every frame
        "hands_url": folder(vendor.HANDS) if hands else "",
        "recover_languages": " ".join(hand_recovery_languages()),
    }
