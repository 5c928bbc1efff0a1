"""/healthz for load balancers and monitors: the database, and how long ago a worker said it was
alive (lanes.py writes the heartbeat).

Answer 503 when this web process cannot reach its database (a load balancer should send no one
here). A silent worker does not make the web node unhealthy, since every node would fail at once,
so it is reported as `"status": "degraded"` with a 200; monitors that should page on it ask
`/healthz?strict=1`, which answers 503 then too.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from gallery.generation import last_heartbeat


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


@login_not_required
@never_cache
def healthz(request):
    database = _database_ok()
    beat = last_heartbeat() if database else None
    age = round((timezone.now() - beat).total_seconds(), 1) if beat else None
    worker_alive = age is not None and age <= settings.WORKER_HEARTBEAT_MAX_AGE
    status = "error" if not database else ("ok" if worker_alive else "degraded")
    failing = not database or (request.GET.get("strict") == "1" and not worker_alive)
    return JsonResponse(
        {
            "status": status,
            "database": "ok" if database else "error",
            "worker": {"alive": worker_alive, "heartbeat_age_seconds": age},
        },
        status=503 if failing else 200,
    )
