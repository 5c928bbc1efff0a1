"""The one place generations are created: the create forms, again/duplicate, MJ actions (and
batches) all come here, so the budget is reserved for every new task, all or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from gallery.models import Generation, State

from .tasks import start_generation


@dataclass
class NewGeneration:
    """What one new task is: the fields of its Generation row and its source pictures."""

    kind: str
    action: str = "generate"
    model: str = ""
    prompt: str = ""
    params: dict = field(default_factory=dict)
    parent: Generation | None = None
    parent_index: int | None = None
    source_items: Iterable = ()


def create_generations(team, user, new: list[NewGeneration]) -> list[Generation]:
    """Create and start the tasks in NEW for USER in TEAM, in one transaction.

    Their estimated cost is reserved in the team's and the member's monthly budgets first, by
    one conditional UPDATE (spend.reserve): if it does not fit, `spend.BudgetExceeded` (a
    ValidationError whose message says who can raise the budget) is raised and nothing is
    created. Each task starts once the transaction commits.
    """
    import spend

    with transaction.atomic():
        generations = [
            Generation(
                team=team,
                user=user,
                state=State.QUEUED,
                kind=n.kind,
                action=n.action,
                model=n.model,
                prompt=n.prompt,
                params=n.params,
                parent=n.parent,
                parent_index=n.parent_index,
            )
            for n in new
        ]
        hold = spend.reserve(team, user, generations)
        for generation, n in zip(generations, new, strict=True):
            generation.save()
            sources = list(n.source_items)
            if sources:
                generation.source_items.set(sources)
        spend.record(hold, generations)
        for generation in generations:
            start_generation(generation)
    return generations
