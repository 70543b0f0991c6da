from django.core.management.base import BaseCommand, CommandParser

from accounts.services import create_api_token


class Command(BaseCommand):
    help = (
        "Create USERNAME if needed and print a new API token for it. The key is printed once: "
        "only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="label shown on the account page")
        parser.add_argument(
            "--days", type=int, default=None,
            help="lifetime in days (default SLRWEB_API_TOKEN_DAYS; 0: never expires)",
        )

    def handle(self, *args: object, **options: object) -> None:
        token = create_api_token(
            str(options["username"]), name=str(options["name"]),
            days=options["days"],  # type: ignore[arg-type]
        )
        # The key alone on the last line: scripts read it from there.
        self.stdout.write(token.key)
