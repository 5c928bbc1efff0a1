"""A batch's results go to its board as they arrive; a final task may finish its batch."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from gallery.models import BoardItem, MediaItem
from notifications.events import task_finished

from .models import Batch


@receiver(post_save, sender=MediaItem)
def result_to_batch_board(sender, instance: MediaItem, created: bool, **kwargs) -> None:
    if not created or instance.generation_id is None:
        return
    boards = Batch.objects.filter(
        links__generation_id=instance.generation_id, board__isnull=False
    ).values_list("board_id", flat=True)
    for board_id in boards:
        BoardItem.objects.get_or_create(board_id=board_id, item=instance)


@receiver(task_finished)
def finish_batches(sender, generation=None, **kwargs) -> None:
    """When a task of a batch is final, the batch may be finished (checked once per batch)."""
    if generation is None:
        return
    for batch in Batch.objects.filter(links__generation=generation, finished_at__isnull=True):
        batch.check_finished()
