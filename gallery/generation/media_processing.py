"""Turning downloaded bytes into gallery files: validated images, WebP thumbnails, video posters.

Pillow refuses images above settings.IMAGE_MAX_PIXELS (decompression bombs become errors, not
memory exhaustion) and JPEGs are decoded at reduced size through draft() when only a thumbnail
is needed.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps

THUMB_SIZES = {"thumbnail": 640, "thumbnail_small": 320}


class MediaError(Exception):
    pass


@dataclass
class ImageInfo:
    width: int
    height: int
    thumbs: dict[str, bytes]


@dataclass
class VideoInfo:
    width: int
    height: int
    duration: float | None
    poster: bytes
    thumbs: dict[str, bytes]


def check_pixels(width: int, height: int) -> None:
    """Refuse sizes above IMAGE_MAX_PIXELS: decoding them is what costs memory (4 bytes a
    pixel in RGBA), whatever the size of the file."""
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise MediaError(f"image too large: {width}x{height}")


def _open(data) -> Image.Image:
    """DATA (bytes or a file) as a lazily decoded image: only its header and structure are read
    here, and its size is checked before any pixel is."""
    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
    source = (lambda: io.BytesIO(data)) if isinstance(data, bytes) else (lambda: _rewound(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(source())
            check_pixels(probe.width, probe.height)
            probe.verify()  # structure check; the image must be reopened after verify()
            return Image.open(source())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"image too large: {exc}") from None
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"not a readable image: {type(exc).__name__}") from None


def webp_thumbs(image: Image.Image) -> dict[str, bytes]:
    """WebP thumbnails of every size in THUMB_SIZES (long edge), never upscaled."""
    largest = max(THUMB_SIZES.values())
    if image.format == "JPEG":
        image.draft("RGB", (largest, largest))  # decode at 1/2, 1/4 or 1/8 scale when possible
    # In place: never hold a second full-size copy of a big image in memory.
    image.thumbnail((largest, largest), Image.Resampling.LANCZOS)
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    out = {}
    for name, edge in sorted(THUMB_SIZES.items(), key=lambda kv: -kv[1]):
        copy = image.copy()  # small by now
        copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, format="WEBP", quality=80, method=4)
        out[name] = buffer.getvalue()
    return out


def _rewound(fileobj):
    fileobj.seek(0)
    return fileobj


def _thumbs(image: Image.Image) -> dict[str, bytes]:
    """webp_thumbs, with anything the decoder raises on a hostile file (a text chunk that
    inflates to 50 MB is a ValueError, a truncated one an OSError) turned into a MediaError."""
    try:
        return webp_thumbs(image)
    except Exception as exc:
        raise MediaError(f"image could not be decoded: {type(exc).__name__}: {exc}") from None


def process_image(data: bytes) -> ImageInfo:
    image = _open(data)
    width, height = image.size
    return ImageInfo(width=width, height=height, thumbs=_thumbs(image))


def process_video(data: bytes) -> VideoInfo:
    """First frame as poster (PyAV), plus size and duration."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            duration = None
            if container.duration:
                duration = container.duration / 1_000_000
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            check_pixels(stream.codec_context.width or 0, stream.codec_context.height or 0)
            frame = next(container.decode(stream))
            check_pixels(frame.width, frame.height)
            poster_image = frame.to_image()
    except MediaError:
        raise
    except (av.FFmpegError, StopIteration, IndexError, ValueError, MemoryError) as exc:
        raise MediaError(f"not a readable video: {type(exc).__name__}") from None
    buffer = io.BytesIO()
    poster_image.save(buffer, format="WEBP", quality=80)
    return VideoInfo(
        width=poster_image.width,
        height=poster_image.height,
        duration=round(duration, 2) if duration else None,
        poster=buffer.getvalue(),
        thumbs=_thumbs(poster_image),
    )


def probe_av(fileobj, kind: str) -> None:
    """Open FILEOBJ with PyAV (FFmpeg) and decode its first frame of KIND ("video" or "audio"):
    a file that merely starts with the right bytes (an HTML page behind an MP4 header) fails
    here. The picture size is checked before a video frame is decoded."""
    import av

    fileobj.seek(0)
    try:
        with av.open(fileobj, mode="r") as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                raise MediaError(f"no {kind} stream")
            stream = streams[0]
            if kind == "video":
                context = stream.codec_context
                if not context.width or not context.height:
                    raise MediaError("video without a picture size")
                check_pixels(context.width, context.height)
            next(container.decode(stream))
    except MediaError:
        raise
    except Exception as exc:  # FFmpeg errors, an empty stream (StopIteration), odd containers
        raise MediaError(f"not a readable {kind}: {type(exc).__name__}") from None
    finally:
        fileobj.seek(0)
