#!/usr/bin/python3
"""mkdkim.py - write the DKIM test vectors used by tests/unit/test-dkimv.c

Run from anywhere with Debian's Python (needs python3-dkim, python3-nacl
and python3-cryptography):

    /usr/bin/python3 tests/gen/mkdkim.py

Writes into tests/vectors/dkim/:

    keys/        the private keys; made once, reused on later runs so the
                 published records and the committed messages stay valid
    zone         the key records (zone.h format), every name under .example
    *.eml        one message per case, signed with dkimpy

Messages are stored with LF line ends (dkimv_body() and dkimv_header() turn
them into CRLF as an MTA would), except rsa2048-crlf.eml, stored with CRLF.
Signatures carry a fixed t= (FIXED_TIME, in the past) and never x=, so the
vectors do not expire.  RSA PKCS#1 v1.5 and Ed25519 signatures are
deterministic: with the same keys a second run writes the same bytes.
"""

import base64
import os
import sys

import dkim
import nacl.encoding
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FIXED_TIME = 1700000000			# 2023-11-14T22:13:20Z

TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(TOP, "tests", "vectors", "dkim")
KEYS = os.path.join(OUT, "keys")

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]


class FixedClock:
    """dkimpy reads time.time() for t=; give it a constant."""

    @staticmethod
    def time():
        return FIXED_TIME


dkim.time = FixedClock


def rsa_key(name, bits):
    """Load keys/NAME.pem, or make it (PKCS#1 PEM, what dkimpy reads)."""
    path = os.path.join(KEYS, name + ".pem")
    if not os.path.exists(path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        with open(path, "wb") as f:
            f.write(pem)
    with open(path, "rb") as f:
        pem = f.read()
    key = serialization.load_pem_private_key(pem, password=None)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(spki).decode("ascii")


def ed25519_key(name):
    """Load keys/NAME.key (base64 seed, what dkimpy reads), or make it."""
    path = os.path.join(KEYS, name + ".key")
    if not os.path.exists(path):
        seed = nacl.signing.SigningKey.generate()
        with open(path, "wb") as f:
            f.write(seed.encode(encoder=nacl.encoding.Base64Encoder) + b"\n")
    with open(path, "rb") as f:
        priv = f.read().strip()
    sk = nacl.signing.SigningKey(priv, encoder=nacl.encoding.Base64Encoder)
    pub = sk.verify_key.encode(encoder=nacl.encoding.Base64Encoder)
    return priv, pub.decode("ascii")


def txt(name, data, ttl=300):
    """One TXT line; strings of at most 255 octets (RFC 1035 3.3.14)."""
    parts = [data[i:i + 200] for i in range(0, len(data), 200)] or [""]
    quoted = " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"')
                      for p in parts)
    return "%s. %d IN TXT %s" % (name, ttl, quoted)


def message(subject, body=b"Hello Bob,\r\n\r\nsee you at 10.\r\n\r\nAlice\r\n",
            sender=b"Alice <alice@example.com>", extra=b""):
    return (b"From: " + sender + b"\r\n"
            b"To: Bob <bob@example.net>\r\n"
            b"Subject: " + subject + b"\r\n"
            b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            b"Message-ID: <" + subject.replace(b" ", b".").lower() +
            b"@example.com>\r\n" + extra +
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n"
            b"\r\n" + body)


def sign(msg, key, selector, domain=b"example.com", alg=b"rsa-sha256",
         canon=(b"relaxed", b"relaxed"), headers=None, length=False):
    """Return msg with a DKIM-Signature prepended (dkimpy, CRLF)."""
    d = dkim.DKIM(msg, signature_algorithm=alg, minkey=512)
    sig = d.sign(selector, domain, key, canonicalize=canon,
                 include_headers=headers or SIGNED, length=length)
    return sig + msg


def sign_atag(msg, key, selector, atag, alg=b"rsa-sha1"):
    """Like sign(), with the a= tag written as atag (e.g. with white space
    inside, which RFC 6376 3.2 allows between tvals); dkimpy's own pieces."""
    d = dkim.DKIM(msg, signature_algorithm=alg, minkey=512)
    pk = dkim.crypto.parse_pem_private_key(key)
    canon = dkim.CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
    d.hasher = dkim.HASH_ALGORITHMS[alg]
    h = d.hasher()
    h.update(canon.canonicalize_body(d.body))
    fields = [(b"v", b"1"), (b"a", atag), (b"c", b"relaxed/relaxed"),
              (b"d", b"example.com"), (b"s", selector),
              (b"t", str(FIXED_TIME).encode("ascii")),
              (b"h", b" : ".join(SIGNED)),
              (b"bh", base64.b64encode(h.digest())), (b"b", b"0" * 60)]
    d.include_headers = tuple(SIGNED)
    res = d.gen_header(fields, tuple(SIGNED), canon, b"DKIM-Signature", pk)
    return b"DKIM-Signature: " + res + msg


def split(msg):
    head, _, body = msg.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


def write(name, data, crlf=False):
    if not crlf:
        assert b"\r" not in data.replace(b"\r\n", b""), name
        data = data.replace(b"\r\n", b"\n")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(KEYS, exist_ok=True)
    k2048, p2048 = rsa_key("rsa2048", 2048)
    k1024, p1024 = rsa_key("rsa1024", 1024)
    k512, p512 = rsa_key("rsa512", 512)
    ked, ped = ed25519_key("ed25519")

    zone = [
        "; DKIM keys for tests/unit/test-dkimv.c, written by tests/gen/mkdkim.py",
        "$TTL 300",
        txt("rsa2048._domainkey.example.com", "v=DKIM1; k=rsa; p=" + p2048),
        txt("rsa1024._domainkey.example.com", "v=DKIM1; k=rsa; p=" + p1024),
        txt("rsa512._domainkey.example.com", "v=DKIM1; k=rsa; p=" + p512),
        txt("ed25519._domainkey.example.com", "v=DKIM1; k=ed25519; p=" + ped),
        txt("s1._domainkey.other.example", "v=DKIM1; k=rsa; p=" + p2048),
        txt("testing._domainkey.example.com",
            "v=DKIM1; k=rsa; t=y; p=" + p2048),
        txt("sha1only._domainkey.example.com",
            "v=DKIM1; k=rsa; h=sha1; p=" + p2048),
        txt("revoked._domainkey.example.com", "v=DKIM1; k=rsa; p="),
        # key record malformed: a tag without "=", and a key that is
        # valid base64 but no SubjectPublicKeyInfo
        txt("badsyntax._domainkey.example.com",
            "v=DKIM1; k=rsa; oops; p=" + p2048),
        txt("baddecode._domainkey.example.com",
            "v=DKIM1; k=rsa; p=" + p2048[:64]),
        # longer than libopendkim reads (DKIMV_KEYREC_MAX), and a NUL byte
        txt("toolong._domainkey.example.com",
            "v=DKIM1; k=rsa; n=" + "x" * 700 + "; p=" + p2048),
        txt("nulkey._domainkey.example.com", "v=DKIM1; k=rsa; p=" +
            p2048).replace('"v=DKIM1;', '"v=DKIM1;\\000', 1),
        # two TXT RRs at one name: the DKIM1 record is the one used
        txt("multi._domainkey.example.com", "v=spf1 -all"),
        txt("multi._domainkey.example.com", "v=DKIM1; k=rsa; p=" + p2048),
        # a name with an A record only: NODATA for TXT
        "nodata._domainkey.example.com. 300 IN A 192.0.2.1",
        "$SERVFAIL servfail._domainkey.example.com TXT",
        "$TIMEOUT timeout._domainkey.example.com TXT",
        "; missing._domainkey.example.com has no record: NXDOMAIN",
    ]
    with open(os.path.join(OUT, "zone"), "w") as f:
        f.write("\n".join(zone) + "\n")

    # algorithms and key sizes
    m = sign(message(b"rsa2048"), k2048, b"rsa2048")
    write("rsa2048.eml", m)
    write("rsa2048-crlf.eml", m, crlf=True)
    write("rsa1024.eml", sign(message(b"rsa1024"), k1024, b"rsa1024"))
    write("rsa512.eml", sign(message(b"rsa512"), k512, b"rsa512"))
    write("rsa-sha1.eml", sign(message(b"rsa-sha1"), k2048, b"rsa2048",
                               alg=b"rsa-sha1"))
    write("rsa-sha1-fws.eml", sign_atag(message(b"rsa-sha1 fws"), k2048,
                                        b"rsa2048", b"rsa- sha1"))
    write("ed25519.eml", sign(message(b"ed25519"), ked, b"ed25519",
                              alg=b"ed25519-sha256"))

    # third party, test key, several records, hash restriction
    write("third-party.eml", sign(message(b"third party"), k2048, b"s1",
                                  domain=b"other.example"))
    write("testing.eml", sign(message(b"testing"), k2048, b"testing"))
    write("multi-txt.eml", sign(message(b"multi txt"), k2048, b"multi"))
    write("sha1only.eml", sign(message(b"sha1only"), k2048, b"sha1only"))

    # two signatures: the lower one covers X-Tag, which changed after it
    # was made; the upper one (added last) does not cover X-Tag
    m = sign(message(b"two sigs", extra=b"X-Tag: one\r\n"), k1024, b"rsa1024",
             headers=SIGNED + [b"x-tag"])
    m = m.replace(b"X-Tag: one\r\n", b"X-Tag: two\r\n")
    write("two-sigs.eml", sign(m, k2048, b"rsa2048"))

    # twelve valid signatures, for the max_sigs cap
    m = message(b"twelve")
    for _ in range(12):
        m = sign(m, k2048, b"rsa2048")
    write("twelve.eml", m)

    # tampering
    m = sign(message(b"body tampered"), k2048, b"rsa2048")
    write("body-tampered.eml", m.replace(b"see you at 10.", b"see you at 11."))
    m = sign(message(b"subject tampered"), k2048, b"rsa2048")
    write("subject-tampered.eml",
          m.replace(b"Subject: subject tampered", b"Subject: subject TAMPERED"))

    # keys that cannot be used
    write("revoked.eml", sign(message(b"revoked"), k2048, b"revoked"))
    write("nokey.eml", sign(message(b"nokey"), k2048, b"missing"))
    write("nodata.eml", sign(message(b"nodata"), k2048, b"nodata"))
    write("badsyntax.eml", sign(message(b"badsyntax"), k2048, b"badsyntax"))
    write("baddecode.eml", sign(message(b"baddecode"), k2048, b"baddecode"))
    write("toolong.eml", sign(message(b"toolong"), k2048, b"toolong"))
    write("nulkey.eml", sign(message(b"nulkey"), k2048, b"nulkey"))
    write("servfail.eml", sign(message(b"servfail"), k2048, b"servfail"))
    write("timeout.eml", sign(message(b"timeout"), k2048, b"timeout"))

    # canonicalization: relaxed survives white space changes, simple not
    m = sign(message(b"relaxed"), k2048, b"rsa2048")
    head, body = split(m)
    head = head.replace(b"Subject: relaxed", b"SUBJECT:   relaxed  ")
    body = body.replace(b"Hello Bob,", b"Hello   Bob,   ") + b"\r\n\r\n"
    write("relaxed.eml", head + body)
    write("simple.eml", sign(message(b"simple"), k2048, b"rsa2048",
                             canon=(b"simple", b"simple")))
    m = sign(message(b"simple ws"), k2048, b"rsa2048",
             canon=(b"simple", b"simple"))
    head, body = split(m)
    write("simple-ws.eml", head + body.replace(b"Hello Bob,", b"Hello Bob, "))

    # l=: text added after the signed part still passes (RFC 6376 3.4.5);
    # a body shorter than l= fails
    m = sign(message(b"length"), k2048, b"rsa2048", length=True)
    write("length.eml", m + b"-- \r\nappended by a list\r\n")
    m = sign(message(b"length short"), k2048, b"rsa2048", length=True)
    write("length-short.eml", m.replace(b"\r\nAlice\r\n", b"\r\n"))

    # no signature
    write("unsigned.eml", message(b"unsigned"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
