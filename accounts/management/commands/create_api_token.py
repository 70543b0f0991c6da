from django.core.management.base import BaseCommand, CommandParser

from accounts.services import create_api_token


class Command(BaseCommand):
    help = "Create USERNAME if needed and print a new API token for it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="label shown in the admin")

    def handle(self, *args: object, **options: str) -> None:
        token = create_api_token(options["username"], name=options["name"])
        self.stdout.write(token.key)
