#!/usr/bin/env python3
"""Check an evidence bundle of a signed transaction receipt, offline.

    python tools/verify_evidence.py evidence.json [document.pdf]

Needs only `cryptography` and `rfc8785`, nothing of this service: it recomputes the RFC 8785
digest of the receipt, checks the ECDSA P-256 seal against the bundle's public key (or one
given with --public-key, e.g. from GET /keys/seal), and, given the document, its SHA-256.
Exit status 0 when everything holds, 1 when something does not, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def check(bundle: dict, public_key_pem: str, document: bytes | None) -> list[tuple[str, bool]]:
    receipt, seal = bundle["receipt"], bundle["seal"]
    digest = hashlib.sha256(rfc8785.dumps(receipt)).digest()
    results = [("digest matches the canonical receipt", digest.hex() == seal.get("digest"))]
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(base64.b64decode(seal["signature"]), digest, ec.ECDSA(hashes.SHA256()))
        sealed = True
    except (InvalidSignature, ValueError, AssertionError):
        sealed = False
    results.append(("seal signature is valid for the public key", sealed))
    if document is not None:
        results.append(("document matches the sealed SHA-256",
                        hashlib.sha256(document).hexdigest() == receipt["document"]["sha256"]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("document", type=Path, nargs="?")
    parser.add_argument("--public-key", type=Path, help="PEM file to use instead of the bundle's public_key_pem")
    args = parser.parse_args(argv)
    try:
        bundle = json.loads(args.bundle.read_text(encoding="utf-8"))
        pem = args.public_key.read_text() if args.public_key else bundle["public_key_pem"]
        document = args.document.read_bytes() if args.document else None
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read input: {exc}", file=sys.stderr)
        return 2
    results = check(bundle, pem, document)
    receipt = bundle["receipt"]
    print(f"Receipt {receipt.get('receipt_code')} — signed {receipt.get('signed_at')} in {receipt.get('place')}")
    for label, ok in results:
        print(f"  [{'OK' if ok else 'FAIL'}] {label}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
