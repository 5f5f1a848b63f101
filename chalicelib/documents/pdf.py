"""Whether a PDF is one a client can open and sign: it reads, has pages, is not encrypted, runs nothing."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from chalicelib.errors import DocumentNotReady

if TYPE_CHECKING:
    from pypdf import PdfReader

# Keys that only scripts use: a JavaScript (or Rendition) action's /JS, the document-level
# /JavaScript name tree, and /XFA, the XML forms that carry scripts of their own.
SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})
# The action types (/S) that run something, wherever the action sits: /OpenAction, an /AA
# (additional actions) trigger, a link, a form field, an outline entry, another action's /Next.
ACTION_REFUSALS = {"/JavaScript": "pdf_javascript", "/Launch": "pdf_launch_action"}
# Bounds on the work a crafted file can cause, so that the check ends well within the function's
# timeout: the indirect objects the file may name, and the dictionaries and arrays (direct ones
# included) read in all. Real documents of the 25 MiB an upload may have stay far below both.
MAX_OBJECTS = 100_000
MAX_NODES = 500_000


def check_pdf(content: bytes) -> None:
    """Refuse a PDF that does not open, is encrypted, has no pages, or holds JavaScript or launch actions.

    Raises
    ------
    DocumentNotReady
        With the reason as its message: ``pdf_unreadable``, ``pdf_encrypted``, ``pdf_no_pages``,
        ``pdf_javascript``, ``pdf_launch_action`` or ``pdf_too_complex``.
    """
    refusal = _refusal(content)
    if refusal is not None:
        raise DocumentNotReady(refusal)


def _refusal(content: bytes) -> str | None:
    from pypdf import PdfReader  # only here: the parser costs a cold start more than the whole app

    # pypdf warns about each broken object it repairs: in a crafted file, thousands of log lines.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            return "pdf_encrypted"
        if len(reader.pages) == 0:  # the pages really found in the page tree, not its /Count
            return "pdf_no_pages"
        return _active_content(reader)
    except Exception:  # noqa: BLE001 - hostile bytes can fail a parser in any way; all of them mean "not a PDF we take"
        return "pdf_unreadable"


def _active_content(reader: PdfReader) -> str | None:
    """The refusal for the first script or launch action in any object of the file; None when there is none.

    Walks every object the cross-reference names, not only those reachable from the catalog, with
    an explicit stack and each indirect object read once: cycles and deep nesting cost nothing extra.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    numbers = [(idnum, generation) for generation, idnums in reader.xref.items() for idnum in idnums]
    numbers += [(idnum, 0) for idnum in reader.xref_objStm]  # the objects inside object streams
    if len(numbers) > MAX_OBJECTS:
        return "pdf_too_complex"
    pending: list[Any] = [reader.trailer, *(IndirectObject(idnum, generation, reader) for idnum, generation in numbers)]
    seen: set[tuple[int, int]] = set()
    nodes = 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            refusal = _refusal_of_dictionary(node)
            if refusal is not None:
                return refusal
            children: Any = dict.values(node)  # as stored: a reference stays one, and is read once above
        elif isinstance(node, ArrayObject):
            children = node
        else:
            continue
        nodes += 1
        if nodes > MAX_NODES:
            return "pdf_too_complex"
        pending.extend(child for child in children if isinstance(child, (DictionaryObject, ArrayObject, IndirectObject)))
    return None


def _refusal_of_dictionary(dictionary: Any) -> str | None:
    if not SCRIPT_KEYS.isdisjoint(dictionary.keys()):
        return "pdf_javascript"
    action = dictionary.get("/S")
    action = action.get_object() if action is not None else None
    return ACTION_REFUSALS.get(action) if isinstance(action, str) else None

