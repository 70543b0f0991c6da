from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"

    def ready(self) -> None:
        from annotation.access import can_annotate_job
        from jobs.access import add_view_rule

        # Annotators see the jobs shared for review, admins every job; jobs.access asks this
        # rule without importing the annotation app (dependencies run one way).
        add_view_rule(can_annotate_job)
