#!/usr/bin/env python3
"""Sign the DKIM fixture drafts of fixtures/drafts/dkim/ and write their keys' zone.

Writes fixtures/drafts/dkim/*.eml and fixtures/zones/dkim-drafts.zone. The signer below is a
small RFC 6376 implementation of its own (relaxed and simple canonicalization, rsa-sha256,
rsa-sha1, ed25519-sha256 of RFC 8463) on python-cryptography, so the Rust tests check
mail-auth's verifier against an independent signer. Deterministic: RSA PKCS#1 v1.5 and Ed25519
signatures depend only on key and data, and t= is fixed, so running it again gives the same
files.

The private keys in scripts/dkim-fixture-keys/ were made for these fixtures only (never use
them for real mail):
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out rsa512.pem
  openssl genpkey -algorithm ED25519 -out ed25519.pem

Domains are under the reserved .test TLD (RFC 2606): the sender brand.test and its ESP
esp-mail.test, two organizational domains.

Usage: python3 scripts/gen-dkim-drafts.py
"""
import base64
import hashlib
import os
import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
KEYS = os.path.join(ROOT, "scripts", "dkim-fixture-keys")
DRAFTS = os.path.join(ROOT, "fixtures", "drafts", "dkim")
ZONE = os.path.join(ROOT, "fixtures", "zones", "dkim-drafts.zone")
SIGNED_AT = 1735689600  # 2025-01-01T00:00:00Z


def key(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


RSA2048 = key("rsa2048.pem")
RSA512 = key("rsa512.pem")
ED25519 = key("ed25519.pem")


def public_record(private):
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


# --------------------------------------------------------------------------------------------
# RFC 6376 §3.4 canonicalization.

def split_message(msg):
    head, _, body = msg.partition(b"\r\n\r\n")
    headers = []
    for line in (head + b"\r\n").split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1] += b"\r\n" + line
        else:
            headers.append(line)
    return [(h.split(b":", 1)[0], h.split(b":", 1)[1]) for h in headers], body


def relaxed_header(name, value):
    value = re.sub(rb"\r\n", b"", value)
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def simple_header(name, value):
    return name + b":" + value + b"\r\n"


def canon_body(body, method):
    if method == "relaxed":
        lines = body.split(b"\r\n")
        lines = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" ") for l in lines]
        body = b"\r\n".join(lines)
    while body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    if body.endswith(b"\r\n"):
        body = body[:-2]
    if body == b"":
        return b"" if method == "relaxed" else b"\r\n"
    return body + b"\r\n"


def sign(msg, private, d, s, h, algorithm="rsa-sha256", c="relaxed/relaxed", extra=""):
    """Prepend a DKIM-Signature over msg (CRLF bytes)."""
    ch, cb = c.split("/")
    headers, body = split_message(msg)
    digest = hashlib.sha1 if algorithm == "rsa-sha1" else hashlib.sha256
    bh = base64.b64encode(digest(canon_body(body, cb)).digest()).decode()
    tags = f"v=1; a={algorithm}; c={c}; d={d}; s={s}; t={SIGNED_AT};{extra}\r\n\th={':'.join(h)};\r\n\tbh={bh};\r\n\tb="
    canon = relaxed_header if ch == "relaxed" else simple_header
    data = b""
    used = {}
    for name in h:
        lower = name.lower().encode()
        matches = [i for i, (n, _) in enumerate(headers) if n.strip().lower() == lower]
        taken = used.get(lower, 0)
        if taken < len(matches):
            n, v = headers[matches[len(matches) - 1 - taken]]
            used[lower] = taken + 1
            data += canon(n, v)
    sig_header = canon(b"DKIM-Signature", b" " + tags.encode())
    data += sig_header[:-2]  # without its CRLF (§3.7)
    if algorithm == "ed25519-sha256":
        b = private.sign(hashlib.sha256(data).digest())
    else:
        hash_alg = hashes.SHA1() if algorithm == "rsa-sha1" else hashes.SHA256()
        b = private.sign(data, padding.PKCS1v15(), hash_alg)
    b64 = base64.b64encode(b).decode()
    folded = "\r\n\t ".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return b"DKIM-Signature: " + tags.encode() + folded.encode() + b"\r\n" + msg


# --------------------------------------------------------------------------------------------
# The drafts.

BRAND = "brand.test"
ESP = "esp-mail.test"
ALL = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
       "List-Unsubscribe", "List-Unsubscribe-Post"]
NO_POST = [h for h in ALL if h != "List-Unsubscribe-Post"]


def draft(subject="Quick question about your Q3 shipping volumes"):
    text = f"""From: Dana Reyes <dana@{BRAND}>
To: Sam Lee <sam@customer.test>
Subject: {subject}
Date: Wed, 01 Jan 2025 09:00:00 +0000
Message-ID: <touch1.20250101@{BRAND}>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
List-Unsubscribe: <https://{BRAND}/u/abc123>, <mailto:unsubscribe@{BRAND}?subject=abc123>
List-Unsubscribe-Post: List-Unsubscribe=One-Click

Hi Sam,

We help logistics teams cut carrier invoices by auditing every shipment against the
contracted rate. Would a 15-minute call next week be useful?

Dana Reyes
Brand Test Inc., 1 Example Street, Springfield
Not interested? Unsubscribe: https://{BRAND}/u/abc123
"""
    return text.replace("\n", "\r\n").encode()


def drafts():
    base = draft()
    out = {}
    # Silent on every rule: aligned rsa-sha256 2048-bit signature covering both list headers.
    out["signed-ok.eml"] = sign(base, RSA2048, BRAND, "s2048", ALL)
    # The same draft as an mbox message with LF line ends: read as the CRLF message it is.
    out["signed-ok-mbox-lf.eml"] = (
        b"From dana@brand.test Wed Jan  1 09:00:00 2025\n"
        + out["signed-ok.eml"].replace(b"\r\n", b"\n")
    )
    # RFC 8463 dual signing, simple/simple for the ed25519 one.
    out["dual-signed.eml"] = sign(
        sign(base, RSA2048, BRAND, "s2048", ALL),
        ED25519, BRAND, "ed", ALL, algorithm="ed25519-sha256", c="simple/simple",
    )
    # An ESP signature and an aligned one: aligned, silent.
    out["esp-and-brand.eml"] = sign(sign(base, RSA2048, ESP, "esp1", ALL), RSA2048, BRAND, "s2048", ALL)

    # dkim/signature-invalid, one draft per reason.
    signed = out["signed-ok.eml"]
    out["invalid-body-edited.eml"] = signed.replace(b"15-minute call", b"20-minute call")
    out["invalid-header-edited.eml"] = signed.replace(
        b"Subject: Quick question", b"Subject: Re: Quick question"
    )
    out["invalid-revoked-key.eml"] = sign(base, RSA2048, BRAND, "revoked", ALL)
    out["invalid-missing-key.eml"] = sign(base, RSA2048, BRAND, "gone", ALL)
    out["invalid-rsa-sha1.eml"] = sign(base, RSA2048, BRAND, "s2048", ALL, algorithm="rsa-sha1")
    out["invalid-weak-key.eml"] = sign(base, RSA512, BRAND, "s512", ALL)
    out["invalid-expired.eml"] = sign(base, RSA2048, BRAND, "s2048", ALL, extra=f" x={SIGNED_AT + 86400};")
    out["invalid-wrong-key.eml"] = sign(base, RSA512, BRAND, "s2048", ALL)
    # The key query times out (tests/integration/dkim_signatures.rs makes the name fail): dns/inconclusive.
    out["key-timeout.eml"] = sign(base, RSA2048, BRAND, "slow", ALL)

    # dkim/unsubscribe-not-signed: h= lacks List-Unsubscribe-Post.
    out["unsubscribe-not-signed.eml"] = sign(base, RSA2048, BRAND, "s2048", NO_POST)

    # dkim/not-aligned: only the ESP signs.
    out["not-aligned.eml"] = sign(base, RSA2048, ESP, "esp1", ALL)
    return out


def zone():
    def txt(record):
        chunks = [record[i:i + 255] for i in range(0, len(record), 255)]
        return " ".join(f'"{c}"' for c in chunks)

    lines = [
        "; Keys of the DKIM fixture drafts in fixtures/drafts/dkim/ (tests/integration/dkim_signatures.rs).",
        "; GENERATED by scripts/gen-dkim-drafts.py; do not edit. Private halves: scripts/dkim-fixture-keys/",
        "; (fixtures only). slow._domainkey.brand.test is made to time out by the test;",
        "; gone._domainkey.brand.test does not exist.",
        "$TTL 300",
        f"brand.test. IN TXT \"v=spf1 -all\"",
        f"s2048._domainkey.brand.test. IN TXT {txt(public_record(RSA2048))}",
        f"ed._domainkey.brand.test. IN TXT {txt(public_record(ED25519))}",
        f"s512._domainkey.brand.test. IN TXT {txt(public_record(RSA512))}",
        f"revoked._domainkey.brand.test. IN TXT \"v=DKIM1; k=rsa; p=\"",
        f"esp1._domainkey.esp-mail.test. IN TXT {txt(public_record(RSA2048))}",
    ]
    return "\n".join(lines) + "\n"


def main():
    os.makedirs(DRAFTS, exist_ok=True)
    for name, data in sorted(drafts().items()):
        with open(os.path.join(DRAFTS, name), "wb") as f:
            f.write(data)
    with open(ZONE, "w") as f:
        f.write(zone())


if __name__ == "__main__":
    main()
