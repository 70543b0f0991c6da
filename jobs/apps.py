from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self) -> None:
        from jobs import anonymous, signals  # noqa: F401 - connect their signal receivers
