from django.apps import AppConfig


class TranslationConfig(AppConfig):
    name = "translation"
    verbose_name = "Continuous translation"

    def ready(self) -> None:
        from jobs.stages import Stage, register_stage
        from translation.services import serves_language, translate_job

        register_stage(Stage("translation", "inference", 10, translate_job, serves_language))
