"""Celery task of the registry's background operations (registry.background)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="registry.run_task")
def run_registry_task(task_id: str) -> str:
    """Run one RegistryTask (register, shadow evaluation or retrain); returns its status."""
    from registry.background import execute

    return str(execute(task_id).status)
