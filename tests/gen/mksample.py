#!/usr/bin/python3
"""Write contrib/sample/: a DKIM-signed message and the zone it needs.

The README's "run" command evaluates this message offline.  The key is made
once and kept in tests/gen/keys/sample.pem so the output is stable; the
signature carries no x= expiry, so it never depends on the clock.
"""
import base64
import os
import subprocess
import sys

import dkim

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
keyfile = os.path.join(top, "tests/gen/keys/sample.pem")
out = os.path.join(top, "contrib/sample")
os.makedirs(os.path.dirname(keyfile), exist_ok=True)
os.makedirs(out, exist_ok=True)
if not os.path.exists(keyfile):
    subprocess.run(["openssl", "genrsa", "-out", keyfile, "2048"], check=True,
                   stderr=subprocess.DEVNULL)
pub = subprocess.run(["openssl", "rsa", "-in", keyfile, "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
p = base64.b64encode(pub).decode()

msg = (b"From: Example News <newsletter@example.com>\r\n"
       b"To: reader@example.net\r\n"
       b"Subject: Our November news\r\n"
       b"Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n"
       b"Message-ID: <sample-1@mail.example.com>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"\r\n"
       b"Hello,\r\n\r\nthis message is signed by example.com and sent from a\r\n"
       b"server that example.com's SPF record allows.\r\n")
sig = dkim.sign(msg, b"s2026", b"example.com", open(keyfile, "rb").read(),
                include_headers=[b"from", b"to", b"subject", b"date",
                                 b"message-id", b"mime-version", b"content-type"])
open(os.path.join(out, "sample.eml"), "wb").write(sig + msg)

chunks = ['"%s"' % ("v=DKIM1; k=rsa; p=" + p)[i:i + 250]
          for i in range(0, len("v=DKIM1; k=rsa; p=" + p), 250)]
zone = f"""; sample.zone - DNS answers for the README's sample evaluation
$TTL 3600
_dmarc.example.com.          IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"
example.com.                 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
example.com.                 IN MX  10 mail.example.com.
mail.example.com.            IN A   192.0.2.25
s2026._domainkey.example.com. IN TXT {' '.join(chunks)}
"""
open(os.path.join(out, "sample.zone"), "w").write(zone)
print("wrote", out)
