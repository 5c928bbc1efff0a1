"""Events other apps send; notifications (in-app, e-mail, webhooks) listen to them.

Send with keyword arguments only; listeners must not raise into the sender (a failed
notification never fails a task, a budget check or a review).
"""

from __future__ import annotations

from django.dispatch import Signal

# A generation reached a final state. kwargs: generation (gallery.Generation), state (str).
task_finished = Signal()
# Every task of a batch is final. kwargs: batch (the batch object), team, user.
batch_finished = Signal()
# Spend crossed a threshold. kwargs: team, user (None for the team budget), percent (80 / 100),
# spent, budget (Decimal, in the team's money unit), kind ("member" | "team" | "balance").
budget_threshold = Signal()
# A reviewer marked an item on a review link. kwargs: link, item, verdict ("approve" |
# "changes"), comment (str), reviewer_name (str).
review_feedback = Signal()
