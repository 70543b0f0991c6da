#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    # Fail closed: production settings (which refuse to start without DJANGO_SECRET_KEY and
    # DJANGO_ALLOWED_HOSTS) unless DJANGO_SETTINGS_MODULE names others, e.g. slrweb.settings.dev.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.prod")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
