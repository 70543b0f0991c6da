from django.apps import AppConfig


class CorpusConfig(AppConfig):
    name = "corpus"
    verbose_name = "Corrections corpus"

    def ready(self) -> None:
        from corpus.evaluation import evaluate_on_corrections
        from corpus.retrain import run_retrain
        from corpus.shadow import run_shadow
        from registry.background import set_runner
        from registry.services import set_evaluator

        # The registry scores new versions on held-out corrections without importing them,
        # and runs shadow evaluations and retrains (worker tasks) through these functions.
        set_evaluator(evaluate_on_corrections)
        set_runner("shadow", run_shadow)
        set_runner("retrain", run_retrain)
