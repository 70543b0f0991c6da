"""`slrweb vendor`: fetch the browser's MediaPipe Holistic and Hands (privacy mode) into
frontend/vendor/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `vendor` subcommand to the slrweb CLI."""
    parser = subparsers.add_parser(
        "vendor",
        help="fetch the browser's MediaPipe Holistic and Hands files (npm, integrity-checked)",
        description=(
            "Download the pinned @mediapipe/holistic and @mediapipe/hands tarballs from the npm "
            "registry, check their sha512 integrity and unpack the files the page's privacy mode "
            "needs into frontend/vendor/ (served as static files; no CDN)."
        ),
    )
    parser.add_argument("--tarball", type=Path, action="append", default=[], metavar="FILE",
                        help="install from this .tgz instead of downloading it (repeatable; "
                             "each is matched to its package by its bytes)")
    parser.add_argument("--force", action="store_true", help="reinstall even when in place")
    parser.set_defaults(func=run_vendor)


def run_vendor(args: argparse.Namespace) -> int:
    """Handler of `slrweb vendor`; returns the exit code (1 when it could not install)."""
    from frontend import vendor

    failed = 0
    for package in vendor.PACKAGES:
        label = f"{package.name}@{package.version}"
        try:
            # A package none of the given tarballs holds is downloaded (or left as installed).
            folder, changed = vendor.install(package, vendor.VENDOR_DIR,
                                             tarball=vendor.tarball_for(package, args.tarball),
                                             force=args.force)
        except (vendor.VendorError, OSError) as error:
            print(f"slrweb vendor: {label}: {error}", file=sys.stderr)
            print(vendor.OFFLINE_HELP.format(url=package.tarball_url), file=sys.stderr)
            failed = 1
            continue
        print(f"{label} {'installed in' if changed else 'already in'} {folder}")
    return failed
