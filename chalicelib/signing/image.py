"""Checks on the handwritten signature from the drawing pad: one still, well-formed, non-blank PNG."""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from typing import Any

from chalicelib.errors import InvalidSignatureImage

MAX_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
MIN_SIDE, MAX_WIDTH, MAX_HEIGHT = 40, 4000, 3000
# The chunks of an animated PNG (APNG): a viewer would show frames that the still image we check does not.
ANIMATION_CHUNKS = frozenset({b"acTL", b"fcTL", b"fdAT"})
_LENGTH_AND_TYPE = struct.Struct(">I4s")
_CRC = struct.Struct(">I")


def decode_signature(data_url: object) -> bytes:
    """The PNG bytes of a `data:image/png;base64,…` URL that holds a plausible signature.

    The bytes returned are exactly those checked: the caller stores and fingerprints these.
    """
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
    """Refuse anything but one still PNG of plausible dimensions with something drawn on it."""
    if len(png) > MAX_BYTES:
        raise InvalidSignatureImage("signature_too_large")
    if not png.startswith(PNG_MAGIC):
        raise InvalidSignatureImage("signature_not_png")
    _check_chunks(png)
    width, height = struct.unpack(">II", png[16:24])
    # Checked before decoding, so a tiny file cannot claim a gigantic canvas.
    if not (MIN_SIDE <= width <= MAX_WIDTH and MIN_SIDE // 2 <= height <= MAX_HEIGHT):
        raise InvalidSignatureImage("signature_dimensions")
    if _is_blank(png):
        raise InvalidSignatureImage("signature_blank")


def _check_chunks(png: bytes) -> None:
    """IHDR first, image data present, no animation, every chunk whole and with its CRC, IEND last of all.

    An image decoder forgives much of this (it stops at IEND, shows an APNG's default image); the
    stored bytes must hold nothing that the decoded image does not account for.
    """
    chunks = _chunks(png)
    types = {chunk_type for chunk_type, _ in chunks}
    if chunks[0] != (b"IHDR", 13) or b"IDAT" not in types:
        raise InvalidSignatureImage("signature_corrupt")
    if ANIMATION_CHUNKS & types:
        raise InvalidSignatureImage("signature_animated")


def _chunks(png: bytes) -> list[tuple[bytes, int]]:
    """(type, length) of each chunk from the PNG signature up to IEND, each one whole and matching its CRC."""
    chunks: list[tuple[bytes, int]] = []
    offset = len(PNG_MAGIC)
    while not chunks or chunks[-1][0] != b"IEND":
        if len(png) - offset < _LENGTH_AND_TYPE.size + _CRC.size:
            raise InvalidSignatureImage("signature_corrupt")  # cut off before its end
        length, chunk_type = _LENGTH_AND_TYPE.unpack_from(png, offset)
        end = offset + _LENGTH_AND_TYPE.size + length
        if not chunk_type.isalpha() or end + _CRC.size > len(png):
            raise InvalidSignatureImage("signature_corrupt")
        (crc,) = _CRC.unpack_from(png, end)
        if crc != zlib.crc32(png[offset + 4:end]):  # the CRC covers the type and the data
            raise InvalidSignatureImage("signature_corrupt")
        chunks.append((chunk_type, length))
        offset = end + _CRC.size
    if offset != len(png):
        raise InvalidSignatureImage("signature_trailing_data")  # bytes that no viewer shows, stored all the same
    return chunks


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
