#!/usr/bin/python3
"""mkmsgs.py - write the DNS zone and the messages of the end-to-end tests

Run from anywhere with Debian's Python (needs python3-dkim and
python3-cryptography):

    /usr/bin/python3 tests/e2e/mkmsgs.py

Writes tests/e2e/zone (read by the daemon as DNSZoneFile) and
tests/e2e/msg/*.eml (sent by run-e2e.sh with swaks).  The DKIM key is
tests/gen/keys/rsa2048.pem, shared with the other generators.

Messages are stored with LF line ends; swaks sends them with CRLF, and the
signature is made over the CRLF form.  The signature carries a fixed t=
(FIXED_TIME, in the past) and no x=: nothing here depends on the clock,
and RSA PKCS#1 v1.5 signatures are deterministic, so a second run writes
the same bytes.  swaks expands tokens such as %DATE% and turns a literal
backslash-n into a line end: the messages contain neither.
"""

import base64
import os

import dkim
from cryptography.hazmat.primitives import serialization

FIXED_TIME = 1700000000			# 2023-11-14T22:13:20Z
DATE = 'Tue, 14 Nov 2023 22:13:20 +0000'

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
KEY = os.path.join(TOP, 'tests', 'gen', 'keys', 'rsa2048.pem')
MSG = os.path.join(HERE, 'msg')

# Sending hosts, all documentation addresses (RFC 5737, RFC 3849).
GOOD_IP4 = '192.0.2.10'			# in the SPF records of the test domains
GOOD_IP6 = '2001:db8::10'		# likewise
ESP_IP = '203.0.113.5'			# the DKIM signer's outbound host

SPF_GOOD = 'v=spf1 ip4:%s ip6:%s -all' % (GOOD_IP4, GOOD_IP6)

BODY = ('Hello,\n'
    '\n'
    'This message belongs to the dmarc-milter end-to-end tests.\n'
    '\n'
    '-- \n'
    'The sender\n')


class FixedClock:
    """dkimpy reads time.time() for t=; give it a constant."""

    @staticmethod
    def time():
        return FIXED_TIME


def txt(name, text):
    """One TXT RR, split into 255-octet character-strings."""
    parts = [text[i:i + 255] for i in range(0, len(text), 255)]
    return '%s. 300 IN TXT %s' % (name,
        ' '.join('"%s"' % p for p in parts))


def message(name, hdrs, body=BODY):
    """Header list + body as LF text, with fixed Date and Message-ID."""
    hdrs = list(hdrs) + [('Date', DATE),
        ('Message-ID', '<%s@e2e.example>' % name)]
    head = ''.join('%s:%s%s\n' % (n, '' if v.startswith('\n') else ' ', v)
        for n, v in hdrs)
    return head + '\n' + body


def sign(text, domain, selector, priv):
    """Prepend a relaxed/relaxed rsa-sha256 DKIM-Signature (no x=)."""
    crlf = text.replace('\n', '\r\n').encode()
    saved = dkim.time
    dkim.time = FixedClock
    try:
        sig = dkim.sign(crlf, selector.encode(), domain.encode(), priv,
            canonicalize=(b'relaxed', b'relaxed'),
            include_headers=[b'from', b'to', b'subject', b'date',
                b'message-id'],
            linesep=b'\n')
    finally:
        dkim.time = saved
    return sig.decode() + text


def main():
    with open(KEY, 'rb') as f:
        priv = f.read()
    key = serialization.load_pem_private_key(priv, password=None)
    pub = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

    zone = [
        '; tests/e2e/zone - DNS of the end-to-end tests, answered by the',
        '; daemon itself (DNSZoneFile).  Written by tests/e2e/mkmsgs.py.',
        '$TTL 300',
        '; p=reject: spoofs are refused, SPF-aligned mail passes',
        txt('_dmarc.reject.example', 'v=DMARC1; p=reject'),
        txt('reject.example', SPF_GOOD),
        '; p=quarantine',
        txt('_dmarc.quarantine.example', 'v=DMARC1; p=quarantine'),
        txt('quarantine.example', SPF_GOOD),
        '; p=none: monitor only',
        txt('_dmarc.none.example', 'v=DMARC1; p=none'),
        txt('none.example', SPF_GOOD),
        '; p=reject, mail signed by the domain but sent through an ESP',
        '; whose own SPF passes unaligned: DMARC passes on DKIM alone',
        txt('_dmarc.signed.example', 'v=DMARC1; p=reject; adkim=s'),
        txt('signed.example', 'v=spf1 -all'),
        txt('e2e._domainkey.signed.example', 'v=DKIM1; k=rsa; p=' + pub),
        txt('esp.example', 'v=spf1 ip4:%s -all' % ESP_IP),
        '; the DMARC query fails: dmarc=temperror',
        '$SERVFAIL _dmarc.servfail.example. TXT',
        txt('servfail.example', SPF_GOOD),
        '; p=none, for the load test from loopback (smtp-source)',
        txt('_dmarc.bulk.example', 'v=DMARC1; p=none'),
        txt('bulk.example', SPF_GOOD),
    ]
    with open(os.path.join(HERE, 'zone'), 'w') as f:
        f.write('\n'.join(zone) + '\n')

    to = ('To', 'Recipient <rcpt@dest.example>')
    msgs = {
        # From: a p=reject domain; sent from an address outside its SPF
        # (spoof) or inside it (pass, run-e2e.sh chooses the address).
        'reject': message('reject', [
            ('From', 'The CEO <ceo@reject.example>'), to,
            ('Subject', 'e2e: p=reject author domain')]),
        'quarantine': message('quarantine', [
            ('From', 'News <news@quarantine.example>'), to,
            ('Subject', 'e2e: p=quarantine author domain')]),
        'none': message('none', [
            ('From', 'Info <info@none.example>'), to,
            ('Subject', 'e2e: p=none author domain')]),
        'servfail': message('servfail', [
            ('From', 'User <user@servfail.example>'), to,
            ('Subject', 'e2e: the DMARC query fails')]),
        'dkim': sign(message('dkim', [
            ('From', 'News <news@signed.example>'), to,
            ('Subject', 'e2e: DKIM-signed, aligned')]),
            'signed.example', 'e2e', priv),
        # Two A-R headers forged with our authserv-id (mx.e2e.example),
        # differing in case and folding, and one of another host's,
        # which must stay.  The real verdict for none.example sent from
        # outside its SPF is dmarc=fail; the forgeries claim pass.
        'forged-ar': message('forged-ar', [
            ('Authentication-Results',
                'mx.e2e.example; dmarc=pass header.from=none.example'),
            ('From', 'Info <info@none.example>'), to,
            ('Subject', 'e2e: forged Authentication-Results'),
            ('authentication-results',
                '\n\tMX.E2E.Example;\n\tspf=pass smtp.mailfrom=none.example;'
                '\n\tdkim=pass header.d=none.example;'
                '\n\tdmarc=pass header.from=none.example'),
            ('Authentication-Results',
                'relay.other.example; spf=pass smtp.mailfrom=none.example'),
        ]),
    }
    os.makedirs(MSG, exist_ok=True)
    for name, text in msgs.items():
        with open(os.path.join(MSG, name + '.eml'), 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
