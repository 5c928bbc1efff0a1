"""Batch runs: rows from a list of prompts or a CSV file, each checked by the create form itself,
reported by row and column, then created all together in one transaction (or not at all).
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gallery.generation import save_reference
from gallery.models import Board

from . import kinds
from .models import Batch, BatchTask

# Fields of the create page that belong to batch mode, not to the task.
BATCH_FIELDS = ("batch_prompts", "batch_csv", "batch_variants", "batch_name", "mode_batch")
MAX_VARIANTS = 10


def max_tasks() -> int:
    return int(getattr(settings, "BATCH_MAX_TASKS", 500))


def max_csv_bytes() -> int:
    return int(getattr(settings, "BATCH_CSV_MAX_BYTES", 2 * 1024 * 1024))


@dataclass
class Problem:
    row: int  # 0: the batch as a whole
    column: str
    message: str


@dataclass
class Plan:
    """What a batch would create, or why it cannot."""

    kind: str
    rows: list[tuple[int, dict]] = field(default_factory=list)
    variants: int = 1
    problems: list[Problem] = field(default_factory=list)
    forms: list = field(default_factory=list)
    source: str = "list"  # or "csv"

    @property
    def task_count(self) -> int:
        return len(self.rows) * self.variants

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))


def decode_csv(raw: bytes) -> str | None:
    """UTF-8 (with or without the BOM Excel writes) or GBK/GB18030 (Chinese Excel's 'CSV')."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_csv(plan: Plan, upload) -> None:
    """Rows of a CSV upload: a header with `prompt` and any of the form's settings."""
    allowed = ["prompt", *kinds.setting_fields(plan.kind)]
    if upload.size > max_csv_bytes():
        plan.add(
            0,
            "",
            _("The file is too large (%(size)d KB); a batch file may be at most %(max)d KB.")
            % {"size": upload.size // 1024, "max": max_csv_bytes() // 1024},
        )
        return
    text = decode_csv(upload.read())
    if text is None:
        plan.add(0, "", _("The file is not readable text. Save it as “CSV UTF-8” and try again."))
        return
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        plan.add(0, "", _("The file is empty."))
        return
    columns = [name.strip().lower() for name in header]
    for name in columns:
        if name and name not in allowed:
            plan.add(
                1,
                name,
                _("Unknown column. Columns may be: %(allowed)s.") % {"allowed": ", ".join(allowed)},
            )
    if "prompt" not in columns:
        plan.add(1, "prompt", _("The first row must name the columns, one of them “prompt”."))
    if plan.problems:
        return
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # blank lines are not tasks
            if len(values) > len(columns):
                plan.add(number, "", _("This row has more values than the header has columns."))
                continue
            row = {c: v.strip() for c, v in zip(columns, values, strict=False) if c}
            plan.rows.append((number, row))
            if len(plan.rows) > max_tasks():
                break
    except csv.Error as error:
        plan.add(0, "", _("The file could not be read as CSV: %(why)s") % {"why": error})


def read_list(plan: Plan, text: str) -> None:
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            plan.rows.append((number, {"prompt": line.strip()}))
            if len(plan.rows) > max_tasks():
                break


def plan_batch(kind: str, data, files, team, user) -> Plan:
    """Read and check the whole batch; nothing is created here."""
    plan = Plan(kind=kind)
    try:
        plan.variants = int(data.get("batch_variants") or 1)
    except ValueError:
        plan.variants = 0
    if not 1 <= plan.variants <= MAX_VARIANTS:
        plan.add(0, "", _("Variants per prompt must be between 1 and %(n)d.") % {"n": MAX_VARIANTS})
        plan.variants = 1
    upload = files.get("batch_csv")
    if upload:
        plan.source = "csv"
        read_csv(plan, upload)
    else:
        read_list(plan, data.get("batch_prompts", ""))
    if plan.problems:
        return plan
    if not plan.rows:
        plan.add(0, "", _("Write at least one prompt (one per line) or choose a CSV file."))
        return plan
    if plan.task_count > max_tasks():
        plan.add(
            0,
            "",
            _(
                "A batch may make at most %(max)d tasks; this one would make at least %(n)d. "
                "Split it into smaller batches."
            )
            % {"max": max_tasks(), "n": plan.task_count},
        )
        return plan
    check_rows(plan, data, team, user)
    return plan


def _row_data(base, row: dict, kind: str):
    data = base.copy()
    for name in BATCH_FIELDS:
        data.pop(name, None)
    data["prompt"] = row.get("prompt", "")
    for name, value in row.items():
        if name != "prompt" and value == "":
            continue  # an empty cell keeps the form's own setting
        if name == "audio":
            word = value.lower()
            if word in kinds.BOOLEAN_WORDS:
                if kinds.BOOLEAN_WORDS[word]:
                    data[name] = "on"
                else:
                    data.pop(name, None)
            continue  # a bad word is reported by check_rows
        data[name] = value
    if kind == "image":
        data["count"] = "1"  # variants make the copies
    return data


def _bind(template, data):
    """TEMPLATE (a bound create form) bound to DATA instead: same fields and choices, its own
    data, errors and cleaned values. Cleaning never changes a field, so they can be shared."""
    form = copy.copy(template)
    form.data = data
    form._errors = None
    form._bound_fields_cache = {}
    form.cleaned_data = {}
    return form


def check_rows(plan: Plan, base, team, user) -> None:
    """Each row through the create form itself: the same rules, reported by row and column.
    A problem with a setting of the form (not of the row) is reported once, for the batch."""
    form_class = kinds.FORMS[plan.kind]
    # One form is built (its pickers read the database); each row is that form bound to the
    # row's data, so a 500-row batch does not build 500 pickers.
    template = form_class(_row_data(base, plan.rows[0][1], plan.kind), team=team, user=user)
    on_form: dict[tuple[str, str], None] = {}
    for number, row in plan.rows:
        if "audio" in row and row["audio"].lower() not in kinds.BOOLEAN_WORDS:
            plan.add(number, "audio", _("Write yes or no."))
            continue
        form = _bind(template, _row_data(base, row, plan.kind))
        if form.is_valid():
            plan.forms.append((number, form))
            continue
        for name, errors in form.errors.items():
            for error in errors:
                if name in row or name == "prompt":
                    plan.add(number, name, errors[0] + _allowed(form, name))
                    break  # the first reason is the one to fix (the rest follow from it)
                else:
                    label = form.fields[name].label if name in form.fields else ""
                    on_form[(str(label or ""), error)] = None
    for label, error in on_form:
        plan.add(0, label, error)


def _allowed(form, name: str) -> str:
    """For a choice column: the values it takes, so the person can fix the cell."""
    values = [str(v) for v, _label in getattr(form.fields.get(name), "choices", []) if v != ""]
    if not values or len(values) > 20:
        return ""
    return " " + _("Allowed: %(values)s.") % {"values": ", ".join(values)}


def save_uploads(data, files, team, user):
    """Files picked on the form are stored once and sent as earlier uploads with every row."""
    if not files.getlist("reference_files"):
        return data
    data = data.copy()
    kept = [save_reference(team, user, f).pk for f in files.getlist("reference_files")]
    if kept:
        data.setlist("reference_uploads", [*data.getlist("reference_uploads"), *map(str, kept)])
    return data


def default_name(plan: Plan) -> str:
    first = plan.rows[0][1].get("prompt", "") if plan.rows else ""
    name = first[:40] + ("…" if len(first) > 40 else "")
    return _("Batch: %(prompt)s") % {"prompt": name} if name else _("Batch")


def create_batch(plan: Plan, request, name: str) -> Batch:
    """Create the board, the batch and every task in one transaction: all or nothing.

    The tasks are made by the create form's own save (the one creation path), so every rule
    (and, once it lands, the budget reservation) applies to each of them; a failure rolls back
    the whole batch and nothing was sent (tasks are queued only when the transaction commits).
    """
    name = (name or "").strip()[:100] or default_name(plan)
    with transaction.atomic():
        board = Board.objects.create(team=request.team, owner=request.user, name=name, shared=True)
        batch = Batch.objects.create(
            team=request.team, user=request.user, name=name, kind=plan.kind, board=board
        )
        links = []
        for number, form in plan.forms:
            for _variant in range(plan.variants):
                form.create(request)
                links += [BatchTask(batch=batch, generation=g, row=number) for g in form.created]
        BatchTask.objects.bulk_create(links)
    return batch
