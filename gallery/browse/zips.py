"""A ZIP of originals, streamed: zipfile writes into a sink that the response drains as it goes,
so memory stays at one chunk whatever the number or size of files."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

CHUNK = 64 * 1024


class _Sink:
    """Write-only and unseekable: zipfile then uses data descriptors instead of seeking back."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


def zip_name(item) -> str:
    suffix = PurePosixPath(item.file.name).suffix or ".bin"
    words = "-".join((item.prompt or "").split()[:6])[:60]
    safe = "".join(c for c in words if c.isalnum() or c in "-_") or item.kind
    return f"{item.pk}-{safe}{suffix}"


def stream_zip(items: Iterable) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for item in items:
            info = zipfile.ZipInfo(zip_name(item), date_time=item.created_at.timetuple()[:6])
            with (
                archive.open(info, "w", force_zip64=True) as target,
                item.file.open("rb") as source,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
