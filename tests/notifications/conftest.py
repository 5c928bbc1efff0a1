from __future__ import annotations

import pytest


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run at once when enqueued (e-mails and webhook deliveries are sent by tasks)."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
