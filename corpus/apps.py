from django.apps import AppConfig


class CorpusConfig(AppConfig):
    name = "corpus"
    verbose_name = "Corrections corpus"

    def ready(self) -> None:
        from corpus.evaluation import evaluate_on_corrections
        from registry.services import set_evaluator

        # The registry scores new versions on held-out corrections without importing them.
        set_evaluator(evaluate_on_corrections)
