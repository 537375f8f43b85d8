#!/usr/bin/python3
"""mkdns.py - DNS data and messages of the DNS fault tests

    mkdns.py OUTDIR BLACKHOLE-PORT SERVFAIL-PORT

Writes, for run-faults.sh:
  OUTDIR/zone          the daemon's DNSZoneFile: the good names of
                       tests/e2e/zone and ours, and each broken name as a
                       $TIMEOUT or $SERVFAIL directive
  OUTDIR/unbound.local the same as unbound server: lines.  Good names are
                       local-data under `local-zone: "." static` (nothing
                       is ever asked upstream); each broken name is a
                       transparent local zone with a forward-zone to the
                       black hole (127.0.0.1@BLACKHOLE-PORT, a timeout), to
                       the SERVFAIL server (127.0.0.1@SERVFAIL-PORT), or
                       refused by unbound itself (local-zone refuse)
  OUTDIR/NAME.eml      the messages; dkimto and dkimsf are DKIM-signed
                       (rsa-sha256, tests/gen/keys/rsa2048.pem, fixed t=)
                       by a domain whose key lookup fails

Broken names (client 198.51.100.7 is outside every SPF record here):
  _dmarc.dmarcto.example TXT   timeout     -> dmarc=temperror
  _dmarc.dmarcsf.example TXT   SERVFAIL    -> dmarc=temperror
  _dmarc.dmarcref.example TXT  REFUSED     -> dmarc=temperror
  spfto.example TXT            timeout     -> spf=temperror
  spfsf.example TXT            SERVFAIL    -> spf=temperror
  sel1._domainkey.dkimto.example TXT  timeout   -> dkim=temperror
  sel1._domainkey.dkimsf.example TXT  SERVFAIL  -> dkim=temperror
"""

import os
import sys

import dkim

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
KEY = os.path.join(TOP, 'tests', 'gen', 'keys', 'rsa2048.pem')
E2E_ZONE = os.path.join(TOP, 'tests', 'e2e', 'zone')
SIGN_TIME = 1700000000
DATE = 'Tue, 14 Nov 2023 22:13:20 +0000'
SPF_GOOD = 'v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all'

# (name, how): how is timeout, servfail or refused
BROKEN = [
    ('_dmarc.dmarcto.example', 'timeout'),
    ('_dmarc.dmarcsf.example', 'servfail'),
    ('_dmarc.dmarcref.example', 'refused'),
    ('spfto.example', 'timeout'),
    ('spfsf.example', 'servfail'),
    ('sel1._domainkey.dkimto.example', 'timeout'),
    ('sel1._domainkey.dkimsf.example', 'servfail'),
]

GOOD = [
    ('dmarcto.example', SPF_GOOD),
    ('dmarcsf.example', SPF_GOOD),
    ('dmarcref.example', SPF_GOOD),
    ('_dmarc.spfto.example', 'v=DMARC1; p=reject'),
    ('_dmarc.spfsf.example', 'v=DMARC1; p=reject'),
    ('dkimto.example', SPF_GOOD),
    ('_dmarc.dkimto.example', 'v=DMARC1; p=reject'),
    ('dkimsf.example', SPF_GOOD),
    ('_dmarc.dkimsf.example', 'v=DMARC1; p=reject'),
]


class FixedClock:
    @staticmethod
    def time():
        return SIGN_TIME


def txt(name, text):
    parts = [text[i:i + 255] for i in range(0, len(text), 255)]
    return '%s. 300 IN TXT %s' % (name, ' '.join('"%s"' % p for p in parts))


def message(name, domain):
    return ('From: Sender <user@%s>\n'
        'To: Recipient <rcpt@dest.example>\n'
        'Subject: fault test %s\n'
        'Date: %s\n'
        'Message-ID: <%s@faults.example>\n'
        '\n'
        'Hello,\n\nThis message belongs to the dmarc-milter fault tests.\n'
        % (domain, name, DATE, name))


def sign(text, domain, priv):
    crlf = text.replace('\n', '\r\n').encode()
    saved = dkim.time
    dkim.time = FixedClock
    try:
        sig = dkim.sign(crlf, b'sel1', domain.encode(), priv,
            canonicalize=(b'relaxed', b'relaxed'),
            include_headers=[b'from', b'to', b'subject', b'date',
                b'message-id'],
            linesep=b'\n')
    finally:
        dkim.time = saved
    return sig.decode() + text


def main():
    out, bh, sf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(KEY, 'rb') as f:
        priv = f.read()
    good_rrs = []
    with open(E2E_ZONE) as f:
        for line in f:
            line = line.strip()
            if line and line[0] not in ';$':
                good_rrs.append(line)
    good_rrs += [txt(n, t) for n, t in GOOD]

    zone = ['; written by tests/faults/mkdns.py', '$TTL 300'] + good_rrs
    for name, how in BROKEN:
        zone.append('$%s %s. TXT' % ('TIMEOUT' if how == 'timeout'
            else 'SERVFAIL', name))
    with open(os.path.join(out, 'zone'), 'w') as f:
        f.write('\n'.join(zone) + '\n')

    ub = ['  local-zone: "." static']
    for rr in good_rrs:
        if "'" in rr:
            raise SystemExit('quote in %r' % rr)
        ub.append("  local-data: '%s'" % rr)
    fwd = []
    for name, how in BROKEN:
        if how == 'refused':
            ub.append('  local-zone: "%s." refuse' % name)
            continue
        ub.append('  local-zone: "%s." transparent' % name)
        fwd += ['forward-zone:', '  name: "%s."' % name,
            '  forward-addr: 127.0.0.1@%d' % (bh if how == 'timeout'
                else sf)]
    # nothing leaves loopback, whatever unbound would recurse for
    fwd += ['forward-zone:', '  name: "."',
        '  forward-addr: 127.0.0.1@%d' % bh]
    with open(os.path.join(out, 'unbound.local'), 'w') as f:
        f.write('\n'.join(ub) + '\n' + '\n'.join(fwd) + '\n')

    for name in ('dmarcto', 'dmarcsf', 'dmarcref', 'spfto', 'spfsf'):
        with open(os.path.join(out, name + '.eml'), 'w') as f:
            f.write(message(name, name + '.example'))
    for name in ('dkimto', 'dkimsf'):
        with open(os.path.join(out, name + '.eml'), 'w') as f:
            f.write(sign(message(name, name + '.example'),
                name + '.example', priv))


if __name__ == '__main__':
    main()
