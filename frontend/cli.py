"""`slrweb vendor`: fetch the browser's MediaPipe Holistic (privacy mode) into frontend/vendor/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `vendor` subcommand to the slrweb CLI."""
    parser = subparsers.add_parser(
        "vendor",
        help="fetch the browser's MediaPipe Holistic files (npm, integrity-checked)",
        description=(
            "Download the pinned @mediapipe/holistic tarball from the npm registry, check its "
            "sha512 integrity and unpack the files the page's privacy mode needs into "
            "frontend/vendor/ (served as static files; no CDN)."
        ),
    )
    parser.add_argument("--tarball", type=Path, default=None, metavar="FILE",
                        help="install from this .tgz instead of downloading it")
    parser.add_argument("--force", action="store_true", help="reinstall even when in place")
    parser.set_defaults(func=run_vendor)


def run_vendor(args: argparse.Namespace) -> int:
    """Handler of `slrweb vendor`; returns the exit code (1 when it could not install)."""
    from frontend import vendor

    package = vendor.HOLISTIC
    label = f"{package.name}@{package.version}"
    try:
        folder, changed = vendor.install(package, vendor.VENDOR_DIR, tarball=args.tarball,
                                         force=args.force)
    except (vendor.VendorError, OSError) as error:
        print(f"slrweb vendor: {label}: {error}", file=sys.stderr)
        print(vendor.OFFLINE_HELP.format(url=package.tarball_url), file=sys.stderr)
        return 1
    print(f"{label} {'installed in' if changed else 'already in'} {folder}")
    return 0
