"""Real media for simulated results: Pillow pictures that depend on the prompt and parameters,
and short MP4 videos encoded with PyAV. Everything is small, so tests stay fast."""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import math
import random
import re
from fractions import Fraction

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

SIZE_LONG_EDGE = {"512px": 384, "512": 384, "0.5K": 384, "1K": 512, "2K": 768, "4K": 1024}
MJ_TILE = 256


def seed_of(*parts) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def parse_ratio(value: str | None, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*$", value or "")
    if not match:
        return default
    w, h = float(match.group(1)), float(match.group(2))
    return (int(w * 100), int(h * 100)) if w > 0 and h > 0 else default


def dims(ratio: tuple[int, int], long_edge: int, multiple: int = 2) -> tuple[int, int]:
    w, h = ratio
    scale = long_edge / max(w, h)
    width = max(multiple, int(w * scale) // multiple * multiple)
    height = max(multiple, int(h * scale) // multiple * multiple)
    return width, height


def mj_ratio(prompt: str) -> tuple[int, int]:
    match = re.search(r"--(?:ar|aspect)\s+(\d+:\d+)", prompt or "")
    return parse_ratio(match.group(1) if match else "1:1")


def _palette(seed: int) -> list[tuple[int, int, int]]:
    rnd = random.Random(seed)
    hue = rnd.random()
    colours = []
    for i in range(4):
        h = (hue + i * 0.18 + rnd.uniform(-0.04, 0.04)) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, 0.55 + rnd.random() * 0.35, 0.55 + rnd.random() * 0.4)
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow
        return ImageFont.load_default()


def scene(
    prompt: str, size: tuple[int, int], seed: int, label: str = "", palette_seed: int | None = None
) -> Image.Image:
    """A picture that visibly depends on the prompt: its colours, shapes and caption."""
    width, height = size
    colours = _palette(palette_seed if palette_seed is not None else seed_of(prompt))
    top, bottom = colours[0], colours[1]
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), gradient)
    draw = ImageDraw.Draw(image)
    rnd = random.Random(seed)
    for _ in range(6):
        r = rnd.randint(min(size) // 12, min(size) // 4)
        x, y = rnd.randint(0, width), rnd.randint(0, height)
        draw.ellipse(
            (x - r, y - r, x + r, y + r),
            fill=colours[2 + rnd.randint(0, 1)],
            outline=(255, 255, 255),
        )
    caption = (prompt or "").strip().replace("\n", " ")[:48]
    font = _font(max(10, min(size) // 16))
    draw.rectangle((0, height - min(size) // 7, width, height), fill=(0, 0, 0))
    draw.text((8, height - min(size) // 7 + 4), caption, fill=(255, 255, 255), font=font)
    if label:
        draw.text((8, 6), label, fill=(255, 255, 255), font=_font(max(12, min(size) // 10)))
    return image


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()


def decode_data_uri_or_b64(value: str) -> Image.Image | None:
    if not value:
        return None
    data = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        image.load()
        return image
    except Exception:
        return None


def vary(image: Image.Image, seed: int, strength: float) -> Image.Image:
    """A related picture: same composition, shifted hue and a little noise."""
    rnd = random.Random(seed)
    hsv = image.convert("HSV")
    h, s, v = hsv.split()
    shift = int(rnd.uniform(-1, 1) * 60 * strength)
    h = h.point(lambda x: (x + shift) % 256)
    varied = Image.merge("HSV", (h, s, v)).convert("RGB")
    angle = rnd.uniform(-12, 12) * strength
    return varied.rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=varied.getpixel((0, 0))
    )


def zoom_out(image: Image.Image, scale: float, seed: int, prompt: str) -> Image.Image:
    scale = max(1.1, min(float(scale or 2.0), 3.0))
    width, height = image.size
    canvas = scene(prompt, (int(width * scale), int(height * scale)), seed).filter(
        ImageFilter.GaussianBlur(6)
    )
    canvas.paste(image, ((canvas.width - width) // 2, (canvas.height - height) // 2))
    return canvas


def pan(image: Image.Image, direction: str, scale: float, seed: int, prompt: str) -> Image.Image:
    scale = max(1.1, min(float(scale or 1.5), 3.0))
    width, height = image.size
    horizontal = direction in {"left", "right"}
    size = (int(width * scale), height) if horizontal else (width, int(height * scale))
    canvas = scene(prompt, size, seed).filter(ImageFilter.GaussianBlur(4))
    position = {
        "right": (0, 0),
        "left": (size[0] - width, 0),
        "down": (0, 0),
        "up": (0, size[1] - height),
    }.get(direction, (0, 0))
    canvas.paste(image, position)
    return canvas


def inpaint(image: Image.Image, mask_b64: str, seed: int, prompt: str) -> Image.Image:
    mask = decode_data_uri_or_b64(mask_b64)
    if mask is None:
        mask = Image.new("L", image.size, 0)
        w, h = image.size
        ImageDraw.Draw(mask).rectangle((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=255)
    mask = mask.convert("L").resize(image.size)
    fill = scene(prompt, image.size, seed, palette_seed=seed)
    return Image.composite(fill, image, mask)


def grid(tiles: list[Image.Image]) -> Image.Image:
    w, h = tiles[0].size
    canvas = Image.new("RGB", (w * 2, h * 2))
    for i, tile in enumerate(tiles[:4]):
        canvas.paste(tile.resize((w, h)), ((i % 2) * w, (i // 2) * h))
    return canvas


def blend(images: list[Image.Image], size: tuple[int, int], seed: int) -> Image.Image:
    if not images:
        return scene("blend", size, seed)
    result = ImageOps.fit(images[0].convert("RGB"), size)
    for i, other in enumerate(images[1:], start=2):
        result = Image.blend(result, ImageOps.fit(other.convert("RGB"), size), 1 / i)
    return result


def with_references(image: Image.Image, references: list[Image.Image]) -> Image.Image:
    """Show reference images as small insets, so a person sees they were used."""
    if not references:
        return image
    thumb = max(32, min(image.size) // 5)
    for i, ref in enumerate(references[:4]):
        inset = ImageOps.fit(ref.convert("RGB"), (thumb, thumb))
        image.paste(inset, (image.width - (i + 1) * (thumb + 6), 6))
    return image


VIDEO_SHORT_EDGE = {"480p": 144, "720p": 180, "1080p": 216}


def video(
    prompt: str,
    seed: int,
    duration: int,
    ratio: str,
    resolution: str,
    first_frame: Image.Image | None = None,
) -> bytes:
    """A short real H.264 MP4: a moving scene for DURATION seconds at a small size."""
    import av

    w_r, h_r = parse_ratio(ratio, (16, 9))
    short = VIDEO_SHORT_EDGE.get(resolution, 180)
    if w_r >= h_r:
        height, width = short, int(short * w_r / h_r) // 2 * 2
    else:
        width, height = short, int(short * h_r / w_r) // 2 * 2
    fps = 8
    frames = max(1, int(max(1, min(int(duration or 5), 15)) * fps))
    base = (
        ImageOps.fit(first_frame.convert("RGB"), (width, height))
        if first_frame is not None
        else scene(prompt, (width, height), seed)
    )
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "30"}
        for i in range(frames):
            frame_image = base.copy()
            draw = ImageDraw.Draw(frame_image)
            t = i / frames
            x = int(width * (0.1 + 0.8 * t))
            y = int(height * (0.5 + 0.3 * math.sin(t * 2 * math.pi)))
            r = max(6, height // 8)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255))
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
