"""seed_gallery --team NAME --count 10000: fill a team's gallery with real small files (benchmarks)."""

from __future__ import annotations

import random

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Team, User
from gallery.generation import process_image
from gallery.models import Generation, Kind, MediaItem, State
from zcheap.simulator import media

WORDS = [
    "fox",
    "owl",
    "castle",
    "lighthouse",
    "forest",
    "snow",
    "night",
    "city",
    "river",
    "dragon",
    "tea",
]
WORDS += ["cup", "portrait", "neon", "desert"]
RARE_WORD = "quokka"  # in one prompt of RARE_EVERY: what a rare-word search finds
RARE_EVERY = 5000


def _prompt(rnd: random.Random, number: int) -> str:
    words = rnd.sample(WORDS, 4)
    if number % RARE_EVERY == RARE_EVERY // 2:
        words.append(RARE_WORD)
    return " ".join(words)


class Command(BaseCommand):
    help = "Create COUNT finished results in a team's gallery. A few real files are shared by all rows."

    def add_arguments(self, parser):
        parser.add_argument("--team", default="Benchmark team")
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--owner", default="bench@example.com")

    def handle(self, *args, team, count, owner, **options):
        team_obj, _ = Team.objects.get_or_create(name=team)
        user = User.objects.filter(email=owner).first() or User.objects.create_user(
            owner, "bench-password-1"
        )
        Membership.objects.get_or_create(team=team_obj, user=user, defaults={"role": Role.OWNER})
        files = []
        for i in range(8):  # a handful of real files, shared by every row
            png = media.png(media.scene(WORDS[i], (512, 384), i))
            info = process_image(png)
            item = MediaItem(team=team_obj)
            item.file.save(f"seed-{i}.png", ContentFile(png), save=False)
            item.thumbnail.save(f"seed-{i}.webp", ContentFile(info.thumbs["thumbnail"]), save=False)
            item.thumbnail_small.save(
                f"seed-{i}-s.webp", ContentFile(info.thumbs["thumbnail_small"]), save=False
            )
            files.append((item.file.name, item.thumbnail.name, item.thumbnail_small.name, len(png)))
        rnd = random.Random(1)
        now = timezone.now()
        made = 0
        while made < count:
            batch = min(1000, count - made)
            with transaction.atomic():
                gens = Generation.objects.bulk_create(
                    [
                        Generation(
                            team=team_obj,
                            user=user,
                            kind=rnd.choice([Kind.IMAGE, Kind.MIDJOURNEY, Kind.VIDEO]),
                            model=rnd.choice(
                                ["gemini-3-pro-image-preview", "midjourney", "ima-pro"]
                            ),
                            prompt=_prompt(rnd, made + i),
                            state=State.DONE,
                            created_at=now - timezone.timedelta(minutes=made + i),
                        )
                        for i in range(batch)
                    ]
                )
                MediaItem.objects.bulk_create(
                    [
                        MediaItem(
                            team=team_obj,
                            generation=g,
                            user=user,
                            kind=g.kind,
                            model=g.model,
                            prompt=g.prompt,
                            media_kind="image",
                            index=0,
                            file=f[0],
                            thumbnail=f[1],
                            thumbnail_small=f[2],
                            content_type="image/png",
                            size_bytes=f[3],
                            width=512,
                            height=384,
                            created_at=g.created_at,
                        )
                        for g, f in ((g, files[j % len(files)]) for j, g in enumerate(gens))
                    ]
                )
            made += batch
        self.stdout.write(
            f"team {team!r}: {MediaItem.objects.filter(team=team_obj).count()} gallery items"
        )
