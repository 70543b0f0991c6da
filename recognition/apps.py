from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Isolated sign recognition"

    def ready(self) -> None:
        from jobs.stages import Stage, register_chunk_listener, register_stage
        from recognition.services import recognize_job, serves_language, streaming_listener

        register_stage(Stage("recognition", "inference", 10, recognize_job, serves_language))
        register_chunk_listener(streaming_listener)

        from recognition import enrollment
        from registry import background

        # Embedding an enrolled sign's reference clips runs in the worker like registration.
        background.set_runner("enroll", enrollment.run_enrollment)
