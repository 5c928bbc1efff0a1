"""Worker processes keep Django's async-safety check on, even when the test run that starts them
has switched it off for itself (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their live
server): a database call from the poll coroutine must fail loudly in every run, not only when
the worker tests happen to run alone."""

from __future__ import annotations

import textwrap

from tests.gallery.generation.worker.processes import migrate, run_script, worker_env

# The shape of the poll loop: worker.run_async runs a coroutine; this one wrongly reads the
# database inside it instead of before it.
POLL_WITH_A_DATABASE_CALL = textwrap.dedent(
    """
    import django, os
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from django.core.exceptions import SynchronousOnlyOperation
    from gallery.generation.worker import run_async
    from gallery.models import Generation

    async def poll():
        return Generation.objects.count()

    try:
        run_async(poll())
        print("allowed")
    except SynchronousOnlyOperation:
        print("caught")
    """
)


def test_a_database_call_from_the_poll_coroutine_is_caught_in_a_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # what the browser tests leave set
    env = worker_env(tmp_path)
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in env
    migrate(env)
    assert run_script(env, POLL_WITH_A_DATABASE_CALL).strip() == "caught"
