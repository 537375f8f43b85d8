#!/usr/bin/python3
"""mkzone.py - write tests/check/zone, the DNS data of run-check.sh

One second-level domain under .test per situation that "dmarcctl check"
reports, each otherwise in order so that its findings are its own.  The
DKIM keys are the fixed test keys of tests/gen/keys/, so the output is
byte-for-byte stable; run this after changing the table, and commit the
zone it writes.

    /usr/bin/python3 tests/check/mkzone.py

Needs the openssl binary (RSA public key export) and python3-nacl.
"""

import base64
import os
import subprocess

import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS_DIR = os.path.join(os.path.dirname(HERE), 'gen', 'keys')


def rsa_pub(name):
    der = subprocess.run(['openssl', 'rsa', '-in',
        os.path.join(KEYS_DIR, name + '.pem'), '-pubout', '-outform', 'DER'],
        check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


def ed_pub():
    with open(os.path.join(KEYS_DIR, 'ed25519.key'), 'rb') as f:
        seed = base64.b64decode(f.read().strip())
    vk = nacl.signing.SigningKey(seed).verify_key
    return base64.b64encode(bytes(vk)).decode()


RSA2048 = rsa_pub('rsa2048')
RSA1024 = rsa_pub('rsa1024')
RSA512 = rsa_pub('rsa512')
ED25519 = ed_pub()


def quote(s):
    """One TXT RR: character-strings of at most 255 octets, escaped."""
    b = s.encode('latin-1')
    parts = [b[i:i + 255] for i in range(0, len(b), 255)] or [b'']
    out = []
    for p in parts:
        q = []
        for ch in p:
            if ch in b'"\\':
                q.append('\\' + chr(ch))
            elif ch < 0x20 or ch > 0x7e:
                q.append('\\%03d' % ch)
            else:
                q.append(chr(ch))
        out.append('"' + ''.join(q) + '"')
    return ' '.join(out)


RRS = []


def txt(name, s):
    RRS.append('%s. 300 IN TXT %s' % (name, quote(s)))


def rr(name, rtype, data):
    RRS.append('%s. 300 IN %s %s' % (name, rtype, data))


def dmarc(d, rec):
    txt('_dmarc.' + d, rec)


def spf(d, rec):
    txt(d, rec)


def key(sel, d, p, ktype='rsa', extra=''):
    txt('%s._domainkey.%s' % (sel, d),
        'v=DKIM1; k=%s; %sp=%s' % (ktype, extra, p))


def good(d, dmarc_rec=None, spf_rec=None, dkim=True):
    """A domain in order: p=reject with reports, -all, a 2048-bit key."""
    dmarc(d, dmarc_rec or 'v=DMARC1; p=reject; rua=mailto:dmarc@' + d)
    spf(d, spf_rec or 'v=spf1 ip4:192.0.2.0/24 -all')
    if dkim:
        key('s1', d, RSA2048)


def build():
    RRS.append('; tests/check/zone - written by tests/check/mkzone.py, '
        'do not edit')
    # -- in order
    good('good.test')
    rr('good.test', 'MX', '10 mx.good.test.')
    rr('mx.good.test', 'A', '192.0.2.25')
    # a subdomain without a DMARC record of its own: the org's applies
    spf('mail.good.test', 'v=spf1 a:mx.good.test -all')
    key('s1', 'mail.good.test', RSA2048)
    # legacy tags only: notes, nothing to fix
    good('legacy.test', 'v=DMARC1; p=reject; pct=100; rf=afrf; ri=86400; '
        'rua=mailto:dmarc@legacy.test')
    # redirect= takes -all from its target
    good('redirect.test', spf_rec='v=spf1 redirect=_spf.redirect.test')
    spf('_spf.redirect.test', 'v=spf1 ip4:192.0.2.0/24 -all')
    # rsa and ed25519 side by side
    good('ed25519.test')
    key('ed', 'ed25519.test', ED25519, 'ed25519')

    # -- DMARC
    spf_ok = 'v=spf1 ip4:192.0.2.0/24 -all'
    for d in ('nodmarc.test', 'none-norua.test', 'multi.test',
            'badtags.test', 'badp.test', 'badver.test', 'extrua.test',
            'quarantine-t.test', 'pct.test', 'sp-weak.test', 'np-weak.test',
            'unknown-tag.test', 'tempfail.test', 'evil.test', 'psd-y.test'):
        spf(d, spf_ok)
        key('s1', d, RSA2048)
    dmarc('none-norua.test', 'v=DMARC1; p=none')
    dmarc('multi.test', 'v=DMARC1; p=reject; rua=mailto:d@multi.test')
    dmarc('multi.test', 'v=DMARC1; p=none; rua=mailto:d@multi.test')
    dmarc('badtags.test', 'v=DMARC1; p=reject; adkim=x; t=maybe; pct=200; '
        'fo=9; rua=mailto:dmarc@badtags.test')
    dmarc('badp.test', 'v=DMARC1; p=block')
    dmarc('badver.test', 'v=DMARC1 p=reject')
    dmarc('extrua.test', 'v=DMARC1; p=reject; '
        'rua=mailto:a@reports.example.net,mailto:b@noauth.example.org')
    txt('extrua.test._report._dmarc.reports.example.net', 'v=DMARC1')
    dmarc('quarantine-t.test', 'v=DMARC1; p=quarantine; t=y; '
        'rua=mailto:dmarc@quarantine-t.test')
    dmarc('pct.test', 'v=DMARC1; p=reject; pct=50; '
        'rua=mailto:dmarc@pct.test')
    dmarc('sp-weak.test', 'v=DMARC1; p=reject; sp=none; '
        'rua=mailto:dmarc@sp-weak.test')
    dmarc('np-weak.test', 'v=DMARC1; p=reject; np=none; '
        'rua=mailto:dmarc@np-weak.test')
    dmarc('unknown-tag.test', 'v=DMARC1; p=reject; pc=100; '
        'rua=mailto:dmarc@unknown-tag.test')
    RRS.append('$SERVFAIL _dmarc.tempfail.test. TXT')
    # terminal escape sequences from DNS must never reach the terminal
    dmarc('evil.test', 'v=DMARC1; p=reject; rua=mailto:dmarc@evil.test; '
        'x=\x1b[2J\x1b]0;owned\x07')
    dmarc('psd-y.test', 'v=DMARC1; p=reject; psd=y; '
        'rua=mailto:dmarc@psd-y.test')
    # report addresses: another scheme, a refused address, a repeat, and
    # failure reports to an unauthorized host
    good('rua-mixed.test', 'v=DMARC1; p=reject; rua=mailto:d@rua-mixed.test,'
        'https://reports.example/x,mailto:-x@rua-mixed.test,'
        'mailto:d@rua-mixed.test; ruf=mailto:f@other.example,'
        'https://reports.example/f,mailto:-y@rua-mixed.test,'
        'mailto:f@other.example; fo=1')
    # the authorization of an external address cannot be asked for
    good('rua-tempfail.test', 'v=DMARC1; p=reject; '
        'rua=mailto:r@slow.example; ruf=mailto:r@slow.example')
    RRS.append('$SERVFAIL rua-tempfail.test._report._dmarc.slow.example. TXT')
    good('fo.test', 'v=DMARC1; p=reject; fo=1; rua=mailto:dmarc@fo.test')
    # a subdomain's own record: its sp= counts for nothing
    good('spi.test')
    good('sub.spi.test', 'v=DMARC1; p=reject; sp=none; '
        'rua=mailto:dmarc@spi.test')
    # only a public suffix operator's record (psd=y) covers the domain
    dmarc('psdtld', 'v=DMARC1; p=reject; psd=y')
    spf('owner.psdtld', 'v=spf1 ip4:192.0.2.0/24 -all')
    key('s1', 'owner.psdtld', RSA2048)

    # -- SPF
    dm = 'v=DMARC1; p=reject; rua=mailto:dmarc@%s'
    for d in ('spf-lookups.test', 'spf-void.test', 'spf-plusall.test',
            'spf-softall.test', 'spf-neutral.test', 'spf-noall.test',
            'spf-ptr.test', 'spf-dup.test', 'spf-loop.test',
            'spf-incnone.test', 'spf-syntax.test', 'nospf.test',
            'spf-near.test'):
        dmarc(d, dm % d)
        key('s1', d, RSA2048)
    # 11 lookups over nested includes, none of them void
    L = 'spf-lookups.test'
    spf(L, 'v=spf1 include:_a.%s include:_b.%s -all' % (L, L))
    spf('_a.' + L, 'v=spf1 a:mail.%s mx:%s include:_c.%s ~all' % (L, L, L))
    spf('_c.' + L, 'v=spf1 a:mail.%s a:mail.%s a:mail.%s -all' % (L, L, L))
    spf('_b.' + L, 'v=spf1 mx:%s a:mail.%s include:_d.%s -all' % (L, L, L))
    spf('_d.' + L, 'v=spf1 ip4:198.51.100.0/24 -all')
    rr(L, 'MX', '10 mail.%s.' % L)
    rr('mail.' + L, 'A', '192.0.2.30')
    # 9 lookups: near the limit
    N = 'spf-near.test'
    spf(N, 'v=spf1 a:mail.%s a:mail.%s a:mail.%s include:_n.%s -all'
        % (N, N, N, N))
    spf('_n.' + N, 'v=spf1 a:mail.%s a:mail.%s a:mail.%s a:mail.%s '
        'a:mail.%s -all' % (N, N, N, N, N))
    rr('mail.' + N, 'A', '192.0.2.31')
    # 3 void lookups
    V = 'spf-void.test'
    spf(V, 'v=spf1 a:nx1.%s a:nx2.%s mx:nx3.%s ip4:192.0.2.1 -all'
        % (V, V, V))
    spf('spf-plusall.test', 'v=spf1 +all')
    spf('spf-softall.test', 'v=spf1 ip4:192.0.2.0/24 ~all')
    spf('spf-neutral.test', 'v=spf1 ip4:192.0.2.0/24 ?all')
    spf('spf-noall.test', 'v=spf1 ip4:192.0.2.0/24')
    spf('spf-ptr.test', 'v=spf1 ptr:spf-ptr.test -all')
    spf('spf-dup.test', 'v=spf1 ip4:192.0.2.0/24 -all')
    spf('spf-dup.test', 'v=spf1 ip4:198.51.100.0/24 -all')
    P = 'spf-loop.test'
    spf(P, 'v=spf1 include:_l1.%s -all' % P)
    spf('_l1.' + P, 'v=spf1 include:_l2.%s -all' % P)
    spf('_l2.' + P, 'v=spf1 include:_l1.%s -all' % P)
    spf('spf-incnone.test', 'v=spf1 include:_none.spf-incnone.test -all')
    rr('_none.spf-incnone.test', 'A', '192.0.2.2')  # exists, no SPF
    spf('spf-syntax.test', 'v=spf1 ip4:192.0.2.300 -all')
    # more: an mx term with 11 hosts, redirect to nothing, redirect next
    # to all, a DNS failure, an include chain deeper than the check goes
    for d in ('spf-mx.test', 'spf-redirnone.test', 'spf-redirall.test',
            'spf-servfail.test', 'spf-deep.test'):
        dmarc(d, dm % d)
        key('s1', d, RSA2048)
    spf('spf-mx.test', 'v=spf1 mx -all')
    for i in range(11):
        rr('spf-mx.test', 'MX', '%d mx%d.spf-mx.test.' % (i, i))
    spf('spf-redirnone.test', 'v=spf1 redirect=_none.spf-redirnone.test')
    spf('spf-redirall.test', 'v=spf1 ip4:192.0.2.0/24 -all '
        'redirect=_spf.spf-redirall.test')
    RRS.append('$SERVFAIL spf-servfail.test. TXT')
    E = 'spf-deep.test'
    spf(E, 'v=spf1 include:d1.%s -all' % E)
    for i in range(1, 14):
        spf('d%d.%s' % (i, E), 'v=spf1 include:d%d.%s -all' % (i + 1, E))

    # -- DKIM
    for d in ('dkim1024.test', 'dkim512.test', 'dkim-revoked.test',
            'dkim-testing.test', 'dkim-sha1.test', 'dkim-badkey.test',
            'dkim-syntax.test', 'dkim-edonly.test', 'dkim-none.test',
            'dkim-given.test'):
        good(d, dkim=False)
    key('s1', 'dkim1024.test', RSA1024)
    key('s1', 'dkim512.test', RSA512)
    key('s1', 'dkim-revoked.test', '')
    key('s1', 'dkim-testing.test', RSA2048, extra='t=y; ')
    key('s1', 'dkim-sha1.test', RSA2048, extra='h=sha1; ')
    key('s1', 'dkim-badkey.test', 'AAAA' + RSA2048[8:])
    txt('s1._domainkey.dkim-syntax.test',
        'v=DKIM1; k=rsa; k=rsa; p=' + RSA2048)
    key('s1', 'dkim-edonly.test', ED25519, 'ed25519')
    key('sel2026', 'dkim-given.test', RSA2048)
    # two keys at one name, a key not for mail, an unknown key type, a
    # DNS failure
    for d in ('dkim-multi.test', 'dkim-service.test', 'dkim-ktype.test',
            'dkim-servfail.test'):
        good(d, dkim=False)
    key('s1', 'dkim-multi.test', RSA2048)
    key('s1', 'dkim-multi.test', RSA2048)
    key('s1', 'dkim-service.test', RSA2048, extra='s=tlsrpt; ')
    key('s1', 'dkim-ktype.test', RSA2048, 'dsa')
    RRS.append('$SERVFAIL default._domainkey.dkim-servfail.test. TXT')


def main():
    build()
    with open(os.path.join(HERE, 'zone'), 'w') as f:
        f.write('\n'.join(RRS) + '\n')


if __name__ == '__main__':
    main()
