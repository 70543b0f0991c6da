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
    reads too so that both give the same frames."""
    folder = f"{vendor.STATIC_PREFIX}/{vendor.HOLISTIC.folder}/"
    return {
        "available": vendor.is_installed(vendor.HOLISTIC, vendor.VENDOR_DIR),
        "base_url": static(folder),
        "fps": settings.SLRWEB_EXTRACT_FPS,  # 0: every frame
    }
