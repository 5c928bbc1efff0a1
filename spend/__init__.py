"""Spend: the price before you click, budgets, the balance, the ledger and the usage page.

Other apps use the names below. The one function that creates generations
(`gallery.generation.create_generations`) calls `reserve` and `record` in its transaction.
"""

from __future__ import annotations

__all__ = ["BudgetExceeded", "batch_estimate", "record", "reserve"]


def __getattr__(name: str):
    if name == "batch_estimate":
        from .views import batch_estimate

        return batch_estimate
    if name in __all__:
        from . import budget

        return getattr(budget, name)
    raise AttributeError(name)
