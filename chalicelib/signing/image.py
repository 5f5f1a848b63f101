"""Checks on the handwritten signature from the drawing pad: a real, decodable, non-blank PNG."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

from chalicelib.errors import InvalidSignatureImage

MAX_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
MIN_SIDE, MAX_WIDTH, MAX_HEIGHT = 40, 4000, 3000


def decode_signature(data_url: object) -> bytes:
    """The PNG bytes of a `data:image/png;base64,…` URL that holds a plausible signature."""
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX):
        raise InvalidSignatureImage("signature_not_png")
    encoded = data_url[len(DATA_URL_PREFIX):]
    if len(encoded) > (MAX_BYTES * 4) // 3 + 4:
        raise InvalidSignatureImage("signature_too_large")
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignatureImage("signature_not_png") from exc
    check_png(png)
    return png


def check_png(png: bytes) -> None:
    if len(png) > MAX_BYTES:
        raise InvalidSignatureImage("signature_too_large")
    if not png.startswith(PNG_MAGIC) or len(png) < 33 or png[12:16] != b"IHDR":
        raise InvalidSignatureImage("signature_not_png")
    width, height = struct.unpack(">II", png[16:24])
    # Checked before decoding, so a tiny file cannot claim a gigantic canvas.
    if not (MIN_SIDE <= width <= MAX_WIDTH and MIN_SIDE // 2 <= height <= MAX_HEIGHT):
        raise InvalidSignatureImage("signature_dimensions")
    if _is_blank(png):
        raise InvalidSignatureImage("signature_blank")


def _is_blank(png: bytes) -> bool:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidSignatureImage("signature_not_png") from exc
    alpha = rgba.getchannel("A")
    if alpha.getbbox() is None:  # fully transparent: nothing was drawn
        return True
    # One colour everywhere (e.g. a white canvas) is blank too.
    extrema: Any = rgba.getextrema()
    return all(low == high for low, high in extrema)
