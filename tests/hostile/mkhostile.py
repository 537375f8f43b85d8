#!/usr/bin/python3
"""mkhostile.py - write the inputs of tests/hostile/run-hostile.sh

    mkhostile.py OUTDIR

Writes OUTDIR/zone (the DNS the daemon answers from, DNSZoneFile) and one
OUTDIR/NAME.eml per hostile message.  The big ones (a 1 MB From:, 10 000
headers, 1 000 DKIM signatures, 64 KB TXT records, a DMARC record of
10 000 tags) are made here at test time, never committed.  What each
message must get, and the RFC that says so, is in run-hostile.sh next to
the case that sends it.

DKIM signatures are made with python3-dkim and the test key
tests/gen/keys/rsa2048.pem, whose public half (openssl) is published at
hx._domainkey.reject.example.

Needs /usr/bin/python3 with python3-dkim, and the openssl binary.
"""

import base64
import os
import subprocess
import sys

import dkim

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
KEY = os.path.join(TOP, 'tests', 'gen', 'keys', 'rsa2048.pem')

LABEL64 = 'a' * 64  # RFC 1035 2.3.4: a label is at most 63 octets
# 4 labels of 63 and 3 dots: 255 octets, over the 253 of a name
NAME255 = '.'.join(['b' * 63] * 4)

zone = []


def txt(name, *strings):
    """one TXT RR; each string a bytes or str of at most 255 octets"""
    parts = []
    for s in strings:
        if isinstance(s, str):
            s = s.encode()
        assert len(s) <= 255, name
        out = []
        for c in s:
            if c in (0x22, 0x5c) or c < 0x20 or c > 0x7e:
                out.append('\\%03d' % c)
            else:
                out.append(chr(c))
        parts.append('"%s"' % ''.join(out))
    zone.append('%s. 300 IN TXT %s' % (name, ' '.join(parts)))


def split255(s):
    """a long text as the <character-string>s of one TXT RR"""
    if isinstance(s, str):
        s = s.encode()
    return [s[i:i + 255] for i in range(0, len(s), 255)] or [b'']


GOOD_IP = '192.0.2.10'  # authorized by every SPF record below
EVIL_IP = '203.0.113.66'  # the attacker's MTA: authorized for evil.example


def build_zone(pubkey):
    zone.append('; written by tests/hostile/mkhostile.py')
    zone.append('$TTL 300')
    # the domains being spoofed: p=reject, SPF for GOOD_IP only
    for d in ('reject.example', 'good.example', 'x.org',
              'xn--bcher-kva.example'):
        txt('_dmarc.' + d, 'v=DMARC1; p=reject')
        txt(d, 'v=spf1 ip4:%s -all' % GOOD_IP)
    txt('hx._domainkey.reject.example', *split255(
        'v=DKIM1; k=rsa; p=' + pubkey))
    # the attacker's own domain: its SPF passes from EVIL_IP, p=none
    txt('_dmarc.evil.example', 'v=DMARC1; p=none')
    txt('evil.example', 'v=spf1 ip4:%s -all' % EVIL_IP)
    # p=none, to see the headers the milter writes on accepted mail
    txt('_dmarc.none.example', 'v=DMARC1; p=none')
    txt('none.example', 'v=spf1 ip4:%s -all' % GOOD_IP)

    # ---- malformed DMARC answers, each at a p=reject-looking name ----
    # RFC 9989 4.10 step 2: only TXT starting v=DMARC1 are DMARC records
    txt('_dmarc.notdmarc.example', 'v=DMARC2; p=reject')
    txt('_dmarc.notdmarc.example', 'p=reject; v=DMARC1')
    txt('_dmarc.notdmarc.example', 'v=spf1 -all')
    # two DMARC records at one name: both discarded (RFC 9989 4.10)
    txt('_dmarc.multi.example', 'v=DMARC1; p=reject')
    txt('_dmarc.multi.example', 'v=DMARC1; p=quarantine')
    # binary garbage that does not start with v=DMARC1
    txt('_dmarc.garbage.example', bytes(range(0, 256, 3)),
        bytes(range(255, 0, -7)))
    # a DMARC record followed by binary garbage: unknown tags, ignored
    txt('_dmarc.garbage2.example',
        b'v=DMARC1; p=reject; \xff\xfe\x01=\x80\x7f; \x1b\x07; =;;=')
    # a NUL inside the tag list: the record is unusable
    txt('_dmarc.nulrec.example', b'v=DMARC1; p=reject\x00; sp=none')
    # an empty TXT record
    txt('_dmarc.empty.example', '')
    # 64 KB of TXT (256 strings): a valid record padded with unknown tags
    big = 'v=DMARC1; p=reject; ' + ''.join(
        'pad%d=%s; ' % (i, 'z' * 40) for i in range(1400))
    big = big[:255 * 255 + 254]
    txt('_dmarc.bigtxt.example', *split255(big))
    # RFC 9989 4.7: unknown tags are ignored, however many: 10 000 of them
    tags = ''.join('%s=;' % tagname(i) for i in range(10000))
    txt('_dmarc.tags10k.example', *split255('v=DMARC1; p=reject; ' + tags))
    # a known tag 9 000 times (as many as 64 KB hold): the first counts
    txt('_dmarc.dup10k.example', *split255(
        'v=DMARC1; p=reject;' + 'p=none;' * 9000))
    for d in ('notdmarc.example', 'multi.example', 'garbage.example',
              'garbage2.example', 'nulrec.example', 'empty.example',
              'bigtxt.example', 'tags10k.example', 'dup10k.example'):
        txt(d, 'v=spf1 ip4:%s -all' % GOOD_IP)

    # ---- SPF (RFC 7208 4.6.4), p=none so that the A-R shows spf= ----
    for d in ('spfloop.example', 'spfchain.example', 'spfchain10.example',
              'spfvoid.example', 'spfvoid2.example', 'spfbig.example'):
        txt('_dmarc.' + d, 'v=DMARC1; p=none')
    # a includes b includes a
    txt('spfloop.example', 'v=spf1 include:b.spfloop.example -all')
    txt('b.spfloop.example', 'v=spf1 include:spfloop.example -all')
    # 11 includes in a chain: the 11th DNS term is a permerror
    txt('spfchain.example', 'v=spf1 include:c1.spfchain.example -all')
    for i in range(1, 11):
        txt('c%d.spfchain.example' % i,
            'v=spf1 include:c%d.spfchain.example -all' % (i + 1))
    txt('c11.spfchain.example', 'v=spf1 ip4:%s -all' % GOOD_IP)
    # 10 includes: exactly the limit, still a pass
    txt('spfchain10.example', 'v=spf1 include:c1.spfchain10.example -all')
    for i in range(1, 10):
        txt('c%d.spfchain10.example' % i,
            'v=spf1 include:c%d.spfchain10.example -all' % (i + 1))
    txt('c10.spfchain10.example', 'v=spf1 ip4:%s -all' % GOOD_IP)
    # three void lookups before the matching term: permerror; two: pass
    txt('spfvoid.example', 'v=spf1 a:nx1.spfvoid.example '
        'a:nx2.spfvoid.example a:nx3.spfvoid.example ip4:%s -all' % GOOD_IP)
    txt('spfvoid2.example', 'v=spf1 a:nx1.spfvoid2.example '
        'a:nx2.spfvoid2.example ip4:%s -all' % GOOD_IP)
    # 64 KB of SPF record: 4000 ip4 terms, the client's last
    terms = ' '.join('ip4:198.51.%d.%d' % (i // 250, i % 250 + 1)
                     for i in range(3800))
    rec = 'v=spf1 %s ip4:%s -all' % (terms, GOOD_IP)
    assert len(rec) > 60000, len(rec)
    txt('spfbig.example', *split255(rec))


def tagname(i):
    """10 000 distinct tag names none of which RFC 9989 knows"""
    s = ''
    for _ in range(3):
        s += chr(ord('a') + i % 26)
        i //= 26
    return 'x' + s


def pubkey():
    der = subprocess.run(['openssl', 'rsa', '-in', KEY, '-pubout',
                          '-outform', 'DER'], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der).decode()


def msg(headers, body=b'Hello.\r\n'):
    """header lines (str or bytes, without line end) and a body"""
    out = []
    for h in headers:
        out.append(h.encode() if isinstance(h, str) else h)
    return b'\r\n'.join(out) + b'\r\n\r\n' + body


def std(*extra, frm='From: ceo@reject.example'):
    """the From: field, extra fields, then the usual ones"""
    return [frm] + list(extra) + [
        'To: rcpt@dest.example', 'Subject: hostile',
        'Date: Tue, 14 Nov 2023 22:13:20 +0000',
        'Message-ID: <hostile@mta.sender.example>']


def signed(headers, d='reject.example', s='hx'):
    """one DKIM-Signature for headers (rsa-sha256, relaxed/simple)"""
    with open(KEY, 'rb') as f:
        priv = f.read()
    sig = dkim.sign(msg(headers), s.encode(), d.encode(), priv,
                    include_headers=[b'from', b'to', b'subject', b'date'],
                    linesep=b'\r\n')
    return sig.rstrip(b'\r\n')


def write(outdir, name, data):
    with open(os.path.join(outdir, name + '.eml'), 'wb') as f:
        f.write(data)


def fake_sig(d, s='hx'):
    """a syntactically complete signature whose key cannot exist"""
    return ('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=%s; '
            's=%s; t=1700000000; h=from:to:subject; '
            'bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; '
            'b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' % (d, s))


def messages(outdir):
    def w(name, data):
        write(outdir, name, data)

    w('control', msg(std()))

    # ---- OpenDMARC CVE shapes ----
    # CVE-2019-16378: several addresses in From:, the attacker's first
    w('multifrom', msg(std(frm='From: a@evil.example, b@good.example')))
    w('multifrom-rev', msg(std(frm='From: b@good.example, a@evil.example')))
    w('multifrom-2hdr', msg(std('From: b@good.example',
                                frm='From: a@evil.example')))
    # 9 distinct domains, the spoofed one last: past the 8 evaluated
    nine = ', '.join(['u@evil.example'] + ['u@d%d.evil.example' % i
                                            for i in range(7)] +
                     ['ceo@good.example'])
    w('multifrom-9', msg(std(frm='From: ' + nine)))
    # CVE-2019-20790: forged Received-SPF and A-R with our authserv-id
    forged = ['Received-SPF: pass (mx.hostile.example: domain of '
              'reject.example designates 203.0.113.66 as permitted sender)',
              'Authentication-Results: mx.hostile.example; spf=pass '
              'smtp.mailfrom=reject.example; dkim=pass header.d=reject.example;'
              ' dmarc=pass header.from=reject.example']
    w('forged-reject', msg(std(*forged)))
    w('forged-none', msg(std(
        'Authentication-Results: other.example; dmarc=pass',
        'Authentication-Results: mx.hostile.example; spf=pass; dkim=pass; '
        'dmarc=pass header.from=none.example',
        'Authentication-Results:   MX.Hostile.Example (c) ;\r\n\tdmarc=pass',
        'Authentication-Results: other.example; dmarc=pass (second foreign)',
        frm='From: ceo@none.example')))
    # our authserv-id in every form a reader may still take for ours
    # (RFC 8601 2.2: CFWS, quoted, a version, folded, 10 000 nested
    # comments before it), an id swallowed by an unclosed comment, and
    # another host's id, all on p=none mail
    ids = ['mx.hostile.example 1; dmarc=pass',
           '"mx.hostile.example"; dmarc=pass',
           '(x) mx.hostile.example (y); dmarc=pass',
           'mx.hostile.example;dmarc=pass',
           'mx.hostile.example\r\n\t; dmarc=pass',
           'mx.hostile.example',
           'mx.hostile.example (unterminated; dmarc=pass',
           '"mx.hostile.\\example"; dmarc=pass',
           'mx.hostile.example 2; dmarc=pass',
           'mx.hostile.example; ' + 'x' * 60000,
           '(' * 500 + ' mx.hostile.example; dmarc=pass',
           'mx.hostile.example.example; dmarc=pass',
           '(' * 5000 + ')' * 5000 + ' mx.hostile.example; dmarc=pass']
    w('forged-variants', msg(['Authentication-Results: ' + i for i in ids] +
                             std(frm='From: ceo@none.example')))
    # CVE-2020-12272: parentheses where the domain is
    w('paren-open', msg(std(frm='From: x@(evil.example')))
    w('paren-domain', msg(std(
        frm='From: x@(evil.example)reject.example')))
    w('paren-after', msg(std(frm='From: x@reject.example (@evil.example')))
    w('paren-local', msg(std(
        frm='From: (x@evil.example) x(@evil.example)@reject.example')))
    w('paren-deep', msg(std(frm='From: ' + '(' * 20000 + 'c' + ')' * 20000 +
                            ' x@reject.example')))
    w('paren-deep-open', msg(std(frm='From: ' + '(' * 30000 +
                                 ' x@reject.example')))
    # CVE-2021-34555: an address without a domain among the others
    w('nodomain', msg(std(frm='From: u1@x.org, u2, u3@x.org')))
    # an A-R of 100 results, foreign and with our id
    res = '; '.join('dkim=pass header.d=r%d.example header.s=s' % i
                    for i in range(100))
    w('ar100', msg(std('Authentication-Results: other.example; ' + res,
                       'Authentication-Results: mx.hostile.example; ' + res,
                       frm='From: ceo@none.example')))

    # ---- size ----
    # a 1 MB From: (one milter command of 1 MB)
    w('from1m', msg(std(frm='From: "' + 'x' * (1 << 20) +
                        '" <ceo@reject.example>')))
    # the largest From: one milter command carries (libmilter: 65535)
    w('from64k', msg(std(frm='From: "' + 'x' * 64000 +
                         '" <ceo@reject.example>')))
    # 64 000 octets of junk with the spoofed address deep inside
    w('from64k-junk', msg(std(frm='From: ' + '<>' * 16000 +
                              ' ceo@reject.example ' + ')(' * 15980)))
    # 10 000 headers, the From: last
    w('hdr10k', msg(['X-Hostile-%d: %d' % (i, i) for i in range(10000)] +
                    std()))
    # 10 000 A-R headers with our id: too many to delete
    w('ar10k', msg(['Authentication-Results: mx.hostile.example; dmarc=pass'
                    for i in range(10000)] + std(frm='From: u@none.example')))
    # 1 000 copies of one valid DKIM signature
    sig = signed(std())
    w('dkim1000', msg([sig] * 1000 + std()))

    # ---- NUL and 8-bit bytes ----
    # a NUL in a header name: the milter protocol's C string ends there
    w('nul-name', msg(std(b'X-Fr\x00om: u@evil.example')))
    # a NUL in the From: value, after the address
    w('nul-value', msg(std(frm=b'From: ceo@reject.example\x00@evil.example')))
    # 8-bit bytes in a header name, and in the display name
    w('8bit-name', msg(std(b'Fr\xf6m: u@evil.example')))
    w('8bit-display', msg(std(frm=b'From: J\xc3\xbcrgen \xfc\xff '
                              b'<ceo@reject.example>')))
    # a UTF-8 domain: its A-label carries the policy (RFC 9989 5.3.1)
    w('idn', msg(std(frm='From: ceo@b\u00fccher.example'.encode())))
    # invalid UTF-8 as the domain
    w('8bit-domain', msg(std(frm=b'From: u@\xff\xfe.example')))
    # the spoofed domain, then an invalid UTF-8 one
    w('8bit-domain-2', msg(std(
        frm=b'From: ceo@reject.example, u@\xff\xfe.example')))
    # the spoofed domain, then a well-formed UTF-8 label that IDNA2008
    # refuses (RFC 5891 5.4: a label may not start with a combining mark)
    w('idn-bad-2', msg(std(
        frm='From: ceo@reject.example, u@\u0301x.example'.encode())))

    # ---- long labels and names ----
    w('from-label64', msg(std(frm='From: u@%s.example' % LABEL64)))
    w('from-label64-2', msg(std(
        frm='From: ceo@reject.example, u@%s.example' % LABEL64)))
    w('from-name255', msg(std(frm='From: u@%s' % NAME255)))
    w('from-name255-2', msg(std(
        frm='From: u@%s, ceo@reject.example' % NAME255)))
    w('dkim-label64', msg([fake_sig(LABEL64 + '.example')] +
                          std(frm='From: u@none.example')))
    w('dkim-name255', msg([fake_sig(NAME255)] +
                          std(frm='From: u@none.example')))
    w('dkim-sel64', msg([fake_sig('none.example', s=LABEL64)] +
                        std(frm='From: u@none.example')))
    w('none', msg(std(frm='From: u@none.example')))

    # ---- malformed DNS answers ----
    for d in ('notdmarc', 'multi', 'garbage', 'garbage2', 'nulrec', 'empty',
              'bigtxt', 'tags10k', 'dup10k', 'spfloop', 'spfchain',
              'spfchain10', 'spfvoid', 'spfvoid2', 'spfbig'):
        w('dns-' + d, msg(std(frm='From: ceo@%s.example' % d)))


def main():
    if len(sys.argv) != 2:
        raise SystemExit('usage: mkhostile.py OUTDIR')
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    build_zone(pubkey())
    with open(os.path.join(outdir, 'zone'), 'w') as f:
        f.write('\n'.join(zone) + '\n')
    messages(outdir)


if __name__ == '__main__':
    main()
