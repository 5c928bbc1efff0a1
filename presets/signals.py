"""A final task of a batch puts its results on the batch's board and may finish its batch."""

from __future__ import annotations

from django.db import connection
from django.dispatch import receiver

from gallery.models import BoardItem, MediaItem
from notifications.events import task_finished

from .models import Batch, BatchTask

BATCHES_OF_TASK = (
    "SELECT b.id, b.board_id, b.finished_at FROM {batch} b "
    "JOIN {link} l ON l.batch_id = b.id WHERE l.generation_id = %s"
)


@receiver(task_finished)
def finish_batches(sender, generation=None, **kwargs) -> None:
    """A task of a batch is final: its results go to the batch's board, and the batch may be
    finished (checked once per batch). One query for a task in no batch (most of them): this
    runs for every finished task, so asking once per stored result as well was a real share
    of what storing a result cost the worker."""
    if generation is None:
        return
    with connection.cursor() as cursor:  # plain SQL: asked for every finished task
        sql = BATCHES_OF_TASK.format(batch=Batch._meta.db_table, link=BatchTask._meta.db_table)
        cursor.execute(sql, [generation.pk])
        batches = cursor.fetchall()
    boards = {board_id for _pk, board_id, _finished in batches if board_id}
    if boards:
        items = list(MediaItem.objects.filter(generation=generation).values_list("pk", flat=True))
        BoardItem.objects.bulk_create(
            [BoardItem(board_id=board_id, item_id=pk) for board_id in boards for pk in items],
            ignore_conflicts=True,
        )
    for batch in Batch.objects.filter(
        pk__in=[pk for pk, _board, finished in batches if finished is None]
    ):
        batch.check_finished()
