"""The drawn signature is one still, well-formed PNG and nothing more, checked on plain bytes."""

from __future__ import annotations

import struct
import zlib

import pytest

from chalicelib.errors import InvalidSignatureImage
from chalicelib.signing.image import check_png, decode_signature
from tests.conftest import animated_png, data_url, signature_png


def chunk(chunk_type: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", zlib.crc32(chunk_type + data))


def split(png: bytes) -> list[bytes]:
    """The PNG signature, then each whole chunk (length, type, data, CRC) in order."""
    parts, offset = [png[:8]], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        parts.append(png[offset:offset + 12 + length])
        offset += 12 + length
    return parts


def refusal(png: bytes) -> str | None:
    try:
        check_png(png)
    except InvalidSignatureImage as refused:
        return refused.message
    return None


def test_a_drawn_signature_is_accepted_and_returned_byte_for_byte():
    png = signature_png()
    assert decode_signature(data_url(png)) == png


@pytest.mark.parametrize("trailer", [b"\x00", b"<script>alert(1)</script>", chunk(b"tEXt", b"Comment\x00na het einde")],
                         ids=["one-byte", "text", "a-whole-chunk"])
def test_anything_after_iend_is_refused(trailer: bytes):
    assert refusal(signature_png() + trailer) == "signature_trailing_data"


def test_an_animated_png_is_refused():
    apng = animated_png()
    assert b"acTL" in apng
    assert refusal(apng) == "signature_animated"


def test_an_animation_control_chunk_alone_is_enough_to_refuse():
    parts = split(signature_png())
    with_actl = b"".join([parts[0], parts[1], chunk(b"acTL", struct.pack(">II", 1, 0)), *parts[2:]])
    assert refusal(with_actl) == "signature_animated"


def test_a_chunk_whose_crc_does_not_match_is_refused():
    parts = split(signature_png())
    idat = parts[2]
    damaged = idat[:-4] + bytes([idat[-4] ^ 0xFF]) + idat[-3:]
    assert refusal(b"".join([parts[0], parts[1], damaged, *parts[3:]])) == "signature_corrupt"


@pytest.mark.parametrize("cut", ["before-iend", "inside-a-chunk"])
def test_a_truncated_png_is_refused(cut: str):
    png = signature_png()
    assert refusal(png[:-12] if cut == "before-iend" else png[:len(png) // 2]) == "signature_corrupt"


def test_a_chunk_claiming_more_bytes_than_there_are_is_refused():
    parts = split(signature_png())
    lying = struct.pack(">I", 0x7FFF_FFFF) + parts[2][4:]
    assert refusal(b"".join([parts[0], parts[1], lying, *parts[3:]])) == "signature_corrupt"


def test_a_png_whose_first_chunk_is_not_ihdr_or_without_image_data_is_refused():
    parts = split(signature_png())
    text = chunk(b"tEXt", b"Author\x00iemand")
    assert refusal(b"".join([parts[0], text, *parts[1:]])) == "signature_corrupt"
    assert refusal(b"".join([parts[0], parts[1], parts[-1]])) == "signature_corrupt"


def test_a_chunk_type_that_is_not_four_letters_is_refused():
    parts = split(signature_png())
    odd = chunk(b"t\x00Xt", b"")
    assert refusal(b"".join([parts[0], parts[1], odd, *parts[2:]])) == "signature_corrupt"


def test_a_harmless_ancillary_chunk_is_accepted():
    parts = split(signature_png())
    assert refusal(b"".join([parts[0], parts[1], chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)), *parts[2:]])) is None


def test_every_cut_of_a_signature_is_refused():
    png = signature_png()
    assert all(refusal(png[:end]) is not None for end in range(0, len(png), 5))
