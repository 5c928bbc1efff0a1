"""Words for events: the bell, e-mails and webhook messages (in the reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def describe(kind: str, data: dict) -> str:
    """One line for an event of KIND with DATA (what Notification.data and webhooks carry)."""
    what = data.get("what") or _("Task")
    title = f"{what} #{data.get('id', '?')}"
    if data.get("prompt"):
        title += f" “{data['prompt']}”"
    if kind in ("task_done", "task.done"):
        return _("%(task)s is done.") % {"task": title}
    if kind in ("task_failed", "task.failed"):
        reason = data.get("reason") or ""
        text = _("%(task)s failed.") % {"task": title}
        return f"{text} {_(reason)}".strip() if reason else text
    if kind in ("batch_done", "batch.done"):
        return _("Your batch of %(n)s tasks is finished (%(failed)s failed).") % {
            "n": data.get("total", "?"),
            "failed": data.get("failed", 0),
        }
    if kind in ("review", "review.feedback"):
        verdict = _("approved") if data.get("verdict") == "approve" else _("asked for changes to")
        text = _("%(name)s %(verdict)s picture #%(item)s on “%(link)s”.") % {
            "name": data.get("reviewer", "?"),
            "verdict": verdict,
            "item": data.get("item", "?"),
            "link": data.get("link", ""),
        }
        if data.get("comment"):
            text += f" “{data['comment']}”"
        return text
    if kind in ("budget", "budget.threshold"):
        scope = {
            "team": _("The team's budget"),
            "member": _("Your budget"),
            "balance": _("The Zcheap balance"),
        }.get(data.get("scope", ""), _("A budget"))
        return _("%(scope)s is at %(percent)s%% (%(spent)s of %(budget)s).") % {
            "scope": scope,
            "percent": data.get("percent", "?"),
            "spent": data.get("spent", "?"),
            "budget": data.get("budget", "?"),
        }
    if kind == "test":
        return _("Test message from Zcheap Studio: this webhook works.")
    return kind
