"""Making things: the create forms and views, the task worker and its steps, reference uploads and
the signed links Zcheap fetches them from, and the glue between a team and the Zcheap client.

Code outside this wing uses only the names below (tests may reach inside); the rest is the wing's
own business. `tests/test_layout.py` holds everyone to that.
"""

from __future__ import annotations

from .cards import warm_words as warm_card_words
from .creating import NewGeneration, create_generations
from .downloads import DownloadError, check_url, pinned, sniff
from .fairness import caps as fair_caps
from .forms import ImageForm, MjImagineForm, VideoForm
from .lanes import (
    POLL_LANE,
    last_heartbeat,
    rq_lane_worker,
    run_database_lanes,
    run_lane_threads,
    run_rq_lanes,
    worker_heartbeats,
)
from .media_processing import MediaError, probe_av, process_image
from .poller import run_poll_lane
from .public_links import public_media, public_url
from .tasks import ensure_loops
from .uploads import ALLOWED_FORMATS, MultipleImageField, check_image, save_reference, too_large
from .views import _copy as copy_generation
from .worker import cancel as cancel_generation
from .zcheap_team import KeyCheck, check_connection, client_for_team, verify_key

__all__ = [
    "warm_card_words",
    "ALLOWED_FORMATS",
    "DownloadError",
    "ImageForm",
    "KeyCheck",
    "MediaError",
    "MjImagineForm",
    "MultipleImageField",
    "POLL_LANE",
    "VideoForm",
    "cancel_generation",
    "check_connection",
    "check_image",
    "check_url",
    "NewGeneration",
    "create_generations",
    "client_for_team",
    "copy_generation",
    "ensure_loops",
    "fair_caps",
    "last_heartbeat",
    "pinned",
    "probe_av",
    "process_image",
    "public_media",
    "public_url",
    "rq_lane_worker",
    "run_database_lanes",
    "run_lane_threads",
    "run_poll_lane",
    "run_rq_lanes",
    "save_reference",
    "sniff",
    "too_large",
    "verify_key",
    "worker_heartbeats",
]
