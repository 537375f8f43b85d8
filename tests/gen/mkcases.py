#!/usr/bin/python3
"""mkcases.py - write the dmarcctl eval corpus in tests/cases/

This script is the source of truth for tests/cases/NNN-name/: it holds the
whole case table (DNS data, message headers and body, which key signs with
which d=/s=/algorithm/canonicalization, tampering after signing, eval
arguments, config and expected JSON) and writes every case directory.

    /usr/bin/python3 tests/gen/mkcases.py            check, then write all
    /usr/bin/python3 tests/gen/mkcases.py --check    check only, write nothing

Before writing, every case is checked against independent code, so that an
expectation typed into the table cannot silently contradict its own data:
  - each DKIM expectation against dkimpy's verifier (python3-dkim), reading
    keys from the case zone: "pass" and "policy" signatures must be
    cryptographically valid, "fail" ones must not verify;
  - each SPF expectation against pyspf (python3-spf, RFC 7208, with its
    2-void-lookup limit), answering from the case zone;
  - each DMARC expectation against a small model of RFC 9989 policy
    discovery, DNS Tree Walk, alignment and disposition (below), written
    from the RFC text and the project's documented decisions.

Output is stable: keys live in tests/gen/keys/ (made once with openssl and
pynacl when missing), signatures carry a fixed t= and no x=, and RSA
PKCS#1 v1.5 and ed25519 signing are deterministic.

Needs /usr/bin/python3 with python3-dkim, python3-nacl, python3-spf, and
the openssl binary (public key export).
"""

import base64
import email.utils
import json
import os
import re
import shutil
import subprocess
import sys

import dkim
import nacl.signing
import spf

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CASES_DIR = os.path.join(TOP, 'tests', 'cases')
KEYS_DIR = os.path.join(HERE, 'keys')

SIGN_TIME = 1700000000  # t= of every signature
DATE = 'Tue, 14 Nov 2023 22:13:20 +0000'  # the same instant
AUTHSERV = 'mx.test.example'  # the runner passes --authserv-id

IP = '192.0.2.10'  # the sending MTA, authorized by SPF
BAD_IP = '203.0.113.66'  # authorized nowhere
HELO = 'mta.example.net'

# ---------------------------------------------------------------- keys

RSA_KEYS = {'rsa2048': 2048, 'rsa1024': 1024, 'rsa512': 512}


def load_keys():
    """Private keys (bytes) and DNS p= values, made once and kept."""
    os.makedirs(KEYS_DIR, exist_ok=True)
    keys = {}
    for name, bits in RSA_KEYS.items():
        path = os.path.join(KEYS_DIR, name + '.pem')
        if not os.path.exists(path):
            subprocess.run(['openssl', 'genrsa', '-traditional',
                '-out', path, str(bits)], check=True,
                stderr=subprocess.DEVNULL)
            os.chmod(path, 0o644)
        with open(path, 'rb') as f:
            priv = f.read()
        der = subprocess.run(['openssl', 'rsa', '-in', path, '-pubout',
            '-outform', 'DER'], check=True, capture_output=True).stdout
        keys[name] = (priv, 'rsa', base64.b64encode(der).decode())
    path = os.path.join(KEYS_DIR, 'ed25519.key')
    if not os.path.exists(path):
        seed = bytes(nacl.signing.SigningKey.generate())
        with open(path, 'w') as f:
            f.write(base64.b64encode(seed).decode() + '\n')
    with open(path, 'rb') as f:
        priv = f.read().strip()
    vk = nacl.signing.SigningKey(base64.b64decode(priv)).verify_key
    keys['ed25519'] = (priv, 'ed25519', base64.b64encode(bytes(vk)).decode())
    return keys


KEYS = None

# ---------------------------------------------------------------- zone data
# Names are written without the trailing dot; the zone file gets absolute
# names with one.


def TXT(name, *strings):
    return ('RR', name, 'TXT', strings)


def A(name, addr):
    return ('RR', name, 'A', addr)


def AAAA(name, addr):
    return ('RR', name, 'AAAA', addr)


def MX(name, pref, host):
    return ('RR', name, 'MX', (pref, host))


def SERVFAIL(name, rtype):
    return ('$SERVFAIL', name, rtype)


def TIMEOUT(name, rtype):
    return ('$TIMEOUT', name, rtype)


def DMARC(domain, record):
    return TXT('_dmarc.' + domain, record)


def SPF(domain, record):
    return TXT(domain, record)


def KEY(selector, domain, key, p=None):
    """The DKIM key record of key name `key`; p='' publishes a revoked key."""
    _, ktype, pub = KEYS[key]
    if p is not None:
        pub = p
    return TXT('%s._domainkey.%s' % (selector, domain),
        'v=DKIM1; k=%s; p=%s' % (ktype, pub))


SPF_EX = SPF('example.com', 'v=spf1 ip4:192.0.2.10 -all')
KEY_EX = None  # KEY('s1', 'example.com', 'rsa2048'), set once keys are loaded


def quote_txt(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append('\\' + ch)
        elif ord(ch) < 0x20 or ord(ch) > 0x7e:
            for b in ch.encode('utf-8'):
                out.append('\\%03d' % b)
        else:
            out.append(ch)
    return '"' + ''.join(out) + '"'


def split_txt(strings):
    """Character-strings of one TXT RR, each at most 255 octets."""
    out = []
    for s in strings:
        b = s.encode('utf-8')
        while len(b) > 255:
            out.append(b[:255].decode('utf-8'))
            b = b[255:]
        out.append(b.decode('utf-8'))
    return out


def zone_text(case):
    lines = ['; %s: DNS data of this case only (written by tests/gen/mkcases.py)'
        % case['name']]
    for rr in case['zone']:
        if rr[0] != 'RR':
            lines.append('%s %s. %s' % (rr[0], rr[1], rr[2]))
            continue
        _, name, rtype, data = rr
        if rtype == 'TXT':
            rdata = ' '.join(quote_txt(s) for s in split_txt(data))
        elif rtype == 'MX':
            rdata = '%d %s.' % (data[0], data[1])
        else:
            rdata = data
        lines.append('%s. 300 IN %s %s' % (name, rtype, rdata))
    return '\n'.join(lines) + '\n'


class Zone:
    """The case zone as the checks see it (semantics of DESIGN.md 3)."""

    def __init__(self, rrs):
        self.rrs = {}
        self.faults = {}
        for rr in rrs:
            if rr[0] == 'RR':
                key = (rr[1].lower(), rr[2])
                self.rrs.setdefault(key, []).append(rr[3])
            else:
                self.faults[(rr[1].lower(), rr[2])] = rr[0]

    def fault(self, name, rtype):
        name = name.lower().rstrip('.')
        return self.faults.get((name, rtype)) or self.faults.get((name, 'ANY'))

    def exists(self, name):
        name = name.lower().rstrip('.')
        for (n, _) in self.rrs:
            if n == name or n.endswith('.' + name):
                return True
        return False

    def get(self, name, rtype):
        return self.rrs.get((name.lower().rstrip('.'), rtype), [])

    def txt(self, name):
        return [''.join(s) for s in self.get(name, 'TXT')]

# ---------------------------------------------------------------- messages

BODY = ('Hello,\r\n'
    '\r\n'
    'This message belongs to the dmarcctl eval corpus.\r\n'
    'It is short on purpose.\r\n'
    '\r\n'
    '-- \r\n'
    'The sender\r\n')

SIGNED = [b'from', b'to', b'subject', b'date', b'message-id']


def headers(frm='User <user@example.com>', subject=None, extra=(), froms=None):
    """The header list of a message: (name, value) pairs, in order."""
    h = []
    for f in (froms if froms is not None else [frm]):
        h.append(('From', f))
    h.append(('To', 'Recipient <rcpt@example.org>'))
    h.append(('Subject', subject or 'corpus message'))
    h.append(('Date', DATE))
    h.extend(extra)
    return h


class Sig:
    """One DKIM signature to add: key name, d=, s=, algorithm, c=."""

    def __init__(self, key, d, s, alg=None, canon=('relaxed', 'relaxed')):
        self.key, self.d, self.s = key, d, s
        self.alg = alg or ('ed25519-sha256' if key == 'ed25519'
            else 'rsa-sha256')
        self.canon = canon


class FixedTime:
    """Stands in for the time module inside dkimpy: a fixed t=."""

    @staticmethod
    def time():
        return SIGN_TIME


def build_message(case):
    if 'raw' in case:
        return case['raw']
    hdrs = list(case['headers'])
    hdrs.append(('Message-ID', '<%s@mta.example.net>' % case['name']))
    msg = b''.join(('%s: %s\r\n' % (n, v)).encode('utf-8') for n, v in hdrs)
    msg += b'\r\n' + case.get('body', BODY).encode('utf-8')
    saved = dkim.time
    dkim.time = FixedTime
    try:
        for sig in case.get('sign', []):
            priv = KEYS[sig.key][0]
            include = [h for h in SIGNED if h != b'message-id'
                or b'message-id:' in msg.lower()]
            sh = dkim.sign(msg, sig.s.encode(), sig.d.encode(), priv,
                signature_algorithm=sig.alg.encode(),
                canonicalize=(sig.canon[0].encode(),
                sig.canon[1].encode()),
                include_headers=include, linesep=b'\r\n')
            msg = sh + msg
    finally:
        dkim.time = saved
    for old, new in case.get('tamper', []):
        if old.encode() not in msg:
            raise SystemExit('%s: tamper text %r not in message'
                % (case['name'], old))
        msg = msg.replace(old.encode(), new.encode(), 1)
    return msg


def args(ip=IP, helo=HELO, mfrom='user@example.com', extra=()):
    a = []
    if ip is not None:
        a += ['--client-ip', ip]
    if helo is not None:
        a += ['--helo', helo]
    if mfrom is not None:
        a += ['--mail-from', mfrom]
    return a + list(extra)

# ---------------------------------------------------------------- expectations


def S(result, domain):
    return {'result': result, 'domain': domain, 'scope': 'mfrom'}


def K(result, domain, selector, alg='rsa-sha256', aligned=None):
    d = {'result': result, 'domain': domain, 'selector': selector,
        'algorithm': alg}
    if aligned is not None:
        d['aligned'] = aligned
    return d


def D(result, frm, pd=None, od=None, policy=None, disp=None, spf=None,
    dkim=None, reasons=None):
    d = {'result': result}
    if frm is not None:
        d['header_from'] = frm
    for k, v in (('policy_domain', pd), ('org_domain', od),
        ('policy', policy), ('disposition', disp), ('spf_aligned', spf),
        ('dkim_aligned', dkim), ('reasons', reasons)):
        if v is not None:
            d[k] = v
    return d


def E(spf=None, dkim=None, dmarc=None, ar=(), absent=(), exit=None):
    e = {}
    if spf is not None:
        e['spf'] = spf
    if dkim is not None:
        e['dkim'] = dkim
    if dmarc is not None:
        e['dmarc'] = dmarc
    if ar:
        e['_ar_contains'] = [AUTHSERV] + list(ar)
    if absent:
        e['_absent'] = list(absent)
    if exit is not None:
        e['_exit'] = exit
    return e


NO_POLICY = ('dmarc.policy',)
NO_RECORD = ('dmarc.policy', 'dmarc.policy_domain')

# ---------------------------------------------------------------- the cases

CASES = []


def case(name, readme, **kw):
    kw['name'] = name
    kw['readme'] = readme
    kw.setdefault('args', args())
    if 'headers' not in kw and 'raw' not in kw and not kw.get('nomsg'):
        kw['headers'] = headers()
    CASES.append(kw)


def define_cases():
    global KEY_EX
    KEY_EX = KEY('s1', 'example.com', 'rsa2048')
    S1 = Sig('rsa2048', 'example.com', 's1')
    reject = DMARC('example.com', 'v=DMARC1; p=reject')

    # -- published policy: p=none / quarantine / reject, pass and fail
    case('001-p-none-pass',
        'p=none, SPF and DKIM both pass aligned: dmarc=pass, policy none, disposition none (RFC 9989 4.4, 4.7 p)',
        zone=[DMARC('example.com', 'v=DMARC1; p=none; rua=mailto:dmarc@example.com'),
            SPF_EX, KEY_EX],
        sign=[S1],
        expect=E(spf=S('pass', 'example.com'),
            dkim=[K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'none', 'none', True, True, []),
            ar=['spf=pass', 'dkim=pass', 'dmarc=pass',
                'header.from=example.com']))
    case('002-p-none-fail',
        'p=none, SPF fail and no DKIM: dmarc=fail but p=none changes nothing, disposition none (RFC 9989 4.7 p, 5.3.6)',
        zone=[DMARC('example.com', 'v=DMARC1; p=none'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'none', 'none', False, False, []),
            ar=['spf=fail', 'dmarc=fail', 'header.from=example.com']))
    case('003-p-quarantine-pass',
        'p=quarantine, SPF and DKIM (simple/simple) aligned pass: dmarc=pass, disposition none (RFC 9989 4.4)',
        zone=[DMARC('example.com', 'v=DMARC1; p=quarantine'), SPF_EX, KEY_EX],
        sign=[Sig('rsa2048', 'example.com', 's1', canon=('simple', 'simple'))],
        expect=E(spf=S('pass', 'example.com'),
            dkim=[K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'quarantine', 'none', True, True, []),
            ar=['dmarc=pass']))
    case('004-p-quarantine-fail',
        'p=quarantine, SPF fail and no DKIM: dmarc=fail, disposition quarantine (RFC 9989 4.7 p, 5.3.6)',
        zone=[DMARC('example.com', 'v=DMARC1; p=quarantine'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'quarantine', 'quarantine', False, False, []),
            ar=['dmarc=fail']))
    case('005-p-reject-pass',
        'p=reject, SPF and DKIM aligned pass: dmarc=pass, disposition none (RFC 9989 4.4)',
        zone=[reject, SPF_EX, KEY_EX],
        sign=[S1],
        expect=E(spf=S('pass', 'example.com'),
            dkim=[K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, True, []),
            ar=['spf=pass', 'dkim=pass', 'dmarc=pass']))
    case('006-p-reject-fail',
        'p=reject, SPF fail and no DKIM: dmarc=fail, disposition reject (RFC 9989 4.7 p, 5.3.6)',
        zone=[reject, SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['spf=fail', 'dmarc=fail', 'header.from=example.com',
                'policy.dmarc=reject']))

    # -- sp and np
    spnp = DMARC('example.com', 'v=DMARC1; p=none; sp=quarantine; np=reject')
    case('007-sp-existing-subdomain',
        'author news.example.com exists, record only at example.com: the org record\'s sp applies (RFC 9989 4.10.1, 4.7 sp)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; sp=quarantine'),
            SPF_EX, A('news.example.com', '192.0.2.80')],
        headers=headers(frm='News <news@news.example.com>'),
        args=args(mfrom='news@news.example.com'),
        expect=E(spf=S('none', 'news.example.com'), dkim=[],
            dmarc=D('fail', 'news.example.com', 'example.com',
                'example.com', 'quarantine', 'quarantine', False, False, []),
            ar=['dmarc=fail', 'header.from=news.example.com']))
    case('008-np-nxdomain-author',
        'author ghost.example.com is NXDOMAIN: np applies, not sp or p (RFC 9989 3.2.13, 4.10.1, 4.7 np)',
        zone=[spnp, SPF_EX],
        headers=headers(frm='<user@ghost.example.com>'),
        args=args(mfrom='user@ghost.example.com'),
        expect=E(spf=S('none', 'ghost.example.com'), dkim=[],
            dmarc=D('fail', 'ghost.example.com', 'example.com',
                'example.com', 'reject', 'reject', False, False, []),
            ar=['dmarc=fail']))
    case('009-nodata-author-sp',
        'author ent.example.com answers NODATA (empty non-terminal): it exists, so sp applies, not np (RFC 9989 A.4 domain existence, RFC 8020, 4.7 sp)',
        zone=[spnp, SPF_EX, A('host.ent.example.com', '192.0.2.81')],
        headers=headers(frm='<user@ent.example.com>'),
        args=args(mfrom='user@ent.example.com'),
        expect=E(spf=S('none', 'ent.example.com'), dkim=[],
            dmarc=D('fail', 'ent.example.com', 'example.com',
                'example.com', 'quarantine', 'quarantine', False, False, []),
            ar=['dmarc=fail']))
    case('010-np-absent-uses-sp',
        'author NXDOMAIN and no np tag: sp applies to the non-existent subdomain (RFC 9989 4.7 np)',
        zone=[DMARC('example.com', 'v=DMARC1; p=none; sp=quarantine'), SPF_EX],
        headers=headers(frm='<user@ghost.example.com>'),
        args=args(mfrom='user@ghost.example.com'),
        expect=E(spf=S('none', 'ghost.example.com'), dkim=[],
            dmarc=D('fail', 'ghost.example.com', 'example.com',
                'example.com', 'quarantine', 'quarantine', False, False, [])))

    # -- alignment modes
    key_mail = KEY('s1', 'mail.example.com', 'rsa2048')
    sig_mail = Sig('rsa2048', 'mail.example.com', 's1')
    case('011-dkim-relaxed-aligned',
        'd=mail.example.com with From example.com, adkim relaxed (default): same org domain, dkim aligned, dmarc=pass (RFC 9989 3.2.10, 4.4.1)',
        zone=[reject, SPF_EX, key_mail],
        sign=[sig_mail], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'mail.example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, []),
            ar=['dkim=pass', 'dmarc=pass']))
    case('012-dkim-strict-unaligned',
        'adkim=s, d=mail.example.com with From example.com: dkim passes but is not aligned, dmarc=fail, reject (RFC 9989 3.2.10, 4.7 adkim)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; adkim=s'), SPF_EX, key_mail],
        sign=[sig_mail], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'mail.example.com', 's1', aligned=False)],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=pass', 'dmarc=fail']))
    case('013-dkim-strict-aligned',
        'adkim=s, d=example.com equals the From domain: strict alignment holds, dmarc=pass (RFC 9989 3.2.10)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; adkim=s'), SPF_EX, KEY_EX],
        sign=[S1], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, [])))
    spf_bounces = SPF('bounces.example.com', 'v=spf1 ip4:192.0.2.10 -all')
    case('014-spf-relaxed-aligned',
        'MAIL FROM bounces.example.com passes SPF, From example.com, aspf relaxed: aligned, dmarc=pass (RFC 9989 3.2.10, 4.4.2)',
        zone=[reject, spf_bounces],
        args=args(mfrom='bounce@bounces.example.com'),
        expect=E(spf=S('pass', 'bounces.example.com'), dkim=[],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['spf=pass', 'dmarc=pass']))
    case('015-spf-strict-unaligned',
        'aspf=s, MAIL FROM bounces.example.com passes SPF, From example.com: not aligned, dmarc=fail, reject (RFC 9989 4.7 aspf)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; aspf=s'), spf_bounces],
        args=args(mfrom='bounce@bounces.example.com'),
        expect=E(spf=S('pass', 'bounces.example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['spf=pass', 'dmarc=fail']))
    case('016-spf-only-strict-aligned',
        'aspf=s, SPF pass for exactly the From domain and no DKIM: SPF alone gives dmarc=pass (RFC 9989 4.4.2, 5.3.5)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; aspf=s'), SPF_EX],
        expect=E(spf=S('pass', 'example.com'), dkim=[],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['spf=pass', 'dmarc=pass']))
    case('017-dkim-only-aligned',
        'SPF fail, one aligned passing DKIM signature: DKIM alone gives dmarc=pass (RFC 9989 4.4.1, 5.3.5)',
        zone=[reject, SPF_EX, KEY_EX],
        sign=[S1], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, []),
            ar=['spf=fail', 'dkim=pass', 'dmarc=pass']))
    case('018-spf-pass-other-org',
        'SPF pass for example.net (another organization), no DKIM, From example.com p=reject: not aligned, dmarc=fail, reject (RFC 9989 4.4.2)',
        zone=[reject, SPF('example.net', 'v=spf1 ip4:192.0.2.10 -all')],
        args=args(mfrom='user@example.net'),
        expect=E(spf=S('pass', 'example.net'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['spf=pass', 'dmarc=fail']))

    # -- t=y, legacy pct
    case('019-t-y-quarantine',
        't=y with p=quarantine on a failing message: policy one level down, disposition none, reason policy_test_mode (RFC 9989 4.7 t, RFC 9990 PolicyOverride)',
        zone=[DMARC('example.com', 'v=DMARC1; p=quarantine; t=y'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'quarantine', 'none', False, False, ['policy_test_mode']),
            ar=['dmarc=fail']))
    case('020-t-y-reject',
        't=y with p=reject on a failing message: "a policy of quarantine will be applied", reason policy_test_mode (RFC 9989 4.7 t)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; t=y'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'quarantine', False, False, ['policy_test_mode']),
            ar=['dmarc=fail']))
    case('021-pct-0-quarantine',
        'legacy pct=0 with p=quarantine is read as t=y: disposition none, reason policy_test_mode (RFC 9989 A.6 removal of pct, RFC 7489 6.6.4)',
        zone=[DMARC('example.com', 'v=DMARC1; p=quarantine; pct=0'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'quarantine', 'none', False, False, ['policy_test_mode']),
            ar=['dmarc=fail']))
    pct50 = DMARC('example.com', 'v=DMARC1; p=reject; pct=50')
    case('022-pct-50-roll-10',
        'legacy pct=50, draw 10 (< 50): the message is sampled in, reject applies unchanged (RFC 7489 6.6.4)',
        zone=[pct50, SPF_EX],
        args=args(ip=BAD_IP, extra=['--pct-roll', '10']),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, [])))
    case('023-pct-50-roll-90',
        'legacy pct=50, draw 90 (>= 50): sampled out, reject becomes quarantine, reason other (RFC 7489 6.6.4, RFC 9990 PolicyOverride)',
        zone=[pct50, SPF_EX],
        args=args(ip=BAD_IP, extra=['--pct-roll', '90']),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'quarantine', False, False, ['other'])))
    case('024-pct-honorpct-no',
        'HonorPct no: pct=50 is ignored even for draw 90, reject applies (local decision on RFC 7489 6.6.4)',
        zone=[pct50, SPF_EX],
        args=args(ip=BAD_IP, extra=['--pct-roll', '90']),
        config='HonorPct no\n',
        expect=E(dmarc=D('fail', 'example.com', 'example.com',
                'example.com', 'reject', 'reject', False, False, [])))

    # -- records: missing, multiple, invalid
    case('025-no-record',
        'no DMARC record anywhere on the walk: dmarc=none, no policy, disposition none (RFC 9989 4.10.1, 5.3.2)',
        zone=[SPF_EX], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('none', 'example.com', disp='none', spf=False,
                dkim=False, reasons=[]),
            ar=['dmarc=none', 'header.from=example.com'], absent=NO_RECORD))
    case('026-multiple-records',
        'two DMARC records at _dmarc.example.com: both discarded, as if none: dmarc=none (RFC 9989 4.10 step 2)',
        zone=[reject, DMARC('example.com', 'v=DMARC1; p=none'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dkim=[], dmarc=D('none', 'example.com', disp='none'),
            ar=['dmarc=none'], absent=NO_RECORD))
    case('027-multiple-records-org-applies',
        'two records at the author sub.example.com are discarded; the walk finds the org record, whose sp applies (RFC 9989 4.10 step 2, 4.10.1)',
        zone=[DMARC('sub.example.com', 'v=DMARC1; p=none'),
            DMARC('sub.example.com', 'v=DMARC1; p=none; adkim=s'),
            DMARC('example.com', 'v=DMARC1; p=reject; sp=quarantine'),
            A('sub.example.com', '192.0.2.82'), SPF_EX],
        headers=headers(frm='<user@sub.example.com>'),
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'), dkim=[],
            dmarc=D('fail', 'sub.example.com', 'example.com', 'example.com',
                'quarantine', 'quarantine', False, False, [])))
    case('028-non-dmarc-txt-ignored',
        'a non-DMARC TXT at _dmarc.example.com beside one DMARC record is discarded; the single record applies (RFC 9989 4.10 step 2, 4.7 v)',
        zone=[TXT('_dmarc.example.com', 'v=spf1 -all'), reject, SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, [])))
    case('029-invalid-p-no-rua',
        'p=bogus and no rua: the record is unusable, dmarc=permerror, no policy, disposition none (RFC 9989 4.10.1 invalid p)',
        zone=[DMARC('example.com', 'v=DMARC1; p=bogus'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('permerror', 'example.com', 'example.com',
                disp='none'),
            ar=['dmarc=permerror'], absent=NO_POLICY))
    case('030-invalid-p-with-rua',
        'p=bogus with a valid rua: act as if p=none, dmarc=fail, disposition none (RFC 9989 4.10.1 invalid p)',
        zone=[DMARC('example.com', 'v=DMARC1; p=bogus; rua=mailto:dmarc@example.com'),
            SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'none', 'none', False, False, []),
            ar=['dmarc=fail']))
    case('031-absent-p',
        'a record without p= (and no rua) is read as p=none: dmarc=fail, disposition none (RFC 9989 4.7 p)',
        zone=[DMARC('example.com', 'v=DMARC1; adkim=r'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'none', 'none', False, False, [])))
    case('032-invalid-sp-no-rua',
        'p=reject with sp=bogus and no rua: the whole record is unusable, dmarc=permerror, disposition none (RFC 9989 4.10.1 invalid sp)',
        zone=[DMARC('example.com', 'v=DMARC1; p=reject; sp=bogus'), SPF_EX],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('permerror', 'example.com', 'example.com',
                disp='none'),
            ar=['dmarc=permerror'], absent=NO_POLICY))

    # -- tree walk and policy discovery
    psd = DMARC('example', 'v=DMARC1; p=reject; psd=y')
    case('033-psd-record-applies',
        'only the PSD example publishes (psd=y); author sub.corp.example: org domain corp.example, the PSD record applies (RFC 9989 4.10.1, 4.10.2 step 2)',
        zone=[psd, A('sub.corp.example', '192.0.2.83')],
        headers=headers(frm='<user@sub.corp.example>'),
        args=args(mfrom='user@sub.corp.example'),
        expect=E(spf=S('none', 'sub.corp.example'), dkim=[],
            dmarc=D('fail', 'sub.corp.example', 'example', 'corp.example',
                'reject', 'reject', False, False, []),
            ar=['dmarc=fail']))
    case('034-psd-org-domain-alignment',
        'psd=y at example makes corp.example the org domain of both sub.corp.example and corp.example: SPF aligned, dmarc=pass (RFC 9989 4.10.2 step 2)',
        zone=[psd, A('sub.corp.example', '192.0.2.83'),
            SPF('corp.example', 'v=spf1 ip4:192.0.2.10 -all')],
        headers=headers(frm='<user@sub.corp.example>'),
        args=args(mfrom='user@corp.example'),
        expect=E(spf=S('pass', 'corp.example'), dkim=[],
            dmarc=D('pass', 'sub.corp.example', 'example', 'corp.example',
                'reject', 'none', True, False, []),
            ar=['dmarc=pass']))
    case('035-psd-n-stops-walk',
        'psd=n at dept.example.com stops the walk: it is the org domain and policy domain, so SPF for example.com is not aligned (RFC 9989 4.10 step 6, 4.10.2 step 1)',
        zone=[reject, DMARC('dept.example.com', 'v=DMARC1; p=quarantine; psd=n'),
            A('mail.dept.example.com', '192.0.2.84'), SPF_EX],
        headers=headers(frm='<user@mail.dept.example.com>'),
        expect=E(spf=S('pass', 'example.com'), dkim=[],
            dmarc=D('fail', 'mail.dept.example.com', 'dept.example.com',
                'dept.example.com', 'quarantine', 'quarantine', False,
                False, []),
            ar=['spf=pass', 'dmarc=fail']))
    deep = 'a.b.c.d.e.f.g.h.i.j.mail.example.com'
    case('036-deep-tree-walk',
        '13-label author, record only at example.com: the shortened walk reaches it; sp applies; d=mail.example.com aligns relaxed (RFC 9989 4.10 steps 3-4, B.4.2)',
        zone=[DMARC('example.com', 'v=DMARC1; p=none; sp=quarantine'),
            A(deep, '192.0.2.85'), SPF_EX, key_mail],
        headers=headers(frm='<user@%s>' % deep),
        sign=[sig_mail], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'mail.example.com', 's1', aligned=True)],
            dmarc=D('pass', deep, 'example.com', 'example.com',
                'quarantine', 'none', False, True, []),
            ar=['dmarc=pass', 'header.from=' + deep]))
    long8 = 'mail.a.b.c.d.e.f.g.example.com'
    case('037-walk-query-limit',
        '10-label author; the only record is at b.c.d.e.f.g.example.com, which the 8-query walk skips: dmarc=none (RFC 9989 4.10 step 4, 5.1.8)',
        zone=[DMARC('b.c.d.e.f.g.example.com', 'v=DMARC1; p=reject; psd=n'),
            A(long8, '192.0.2.86'), SPF_EX],
        headers=headers(frm='<user@%s>' % long8),
        args=args(ip=BAD_IP),
        expect=E(dkim=[], dmarc=D('none', long8, disp='none'),
            ar=['dmarc=none'], absent=NO_RECORD))
    case('038-halfway-record-ignored',
        'records at b.example.com (p=none) and example.com (sp=reject), author a.b.example.com: the org domain example.com\'s record applies, never the one half-way (RFC 9989 4.10.1, 4.10.2 step 3)',
        zone=[DMARC('b.example.com', 'v=DMARC1; p=none'),
            DMARC('example.com', 'v=DMARC1; p=none; sp=reject'),
            A('a.b.example.com', '192.0.2.87'), SPF_EX],
        headers=headers(frm='<user@a.b.example.com>'),
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('fail', 'a.b.example.com', 'example.com',
                'example.com', 'reject', 'reject', False, False, [])))
    case('039-author-own-record',
        'author news.example.com has its own record: its p applies (not the org\'s sp); the org domain is still example.com (RFC 9989 4.10.1, 4.10.2)',
        zone=[DMARC('news.example.com', 'v=DMARC1; p=quarantine'),
            DMARC('example.com', 'v=DMARC1; p=reject; sp=none'), SPF_EX],
        headers=headers(frm='<user@news.example.com>'),
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dmarc=D('fail', 'news.example.com', 'news.example.com',
                'example.com', 'quarantine', 'quarantine', False, False, [])))

    # -- DKIM signatures
    key_esp = KEY('s1', 'esp.example', 'rsa2048')
    case('040-third-party-signature',
        'a valid signature by d=esp.example (not aligned) plus aligned SPF pass: dmarc=pass through SPF, the signature reported unaligned (RFC 9989 4.4, RFC 6376)',
        zone=[reject, SPF_EX, key_esp],
        sign=[Sig('rsa2048', 'esp.example', 's1')],
        expect=E(spf=S('pass', 'example.com'),
            dkim=[K('pass', 'esp.example', 's1', aligned=False)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['dkim=pass', 'dmarc=pass']))
    case('041-two-signatures-one-broken',
        'two signatures: s2 (top) fails against its published key, s1 passes aligned: dmarc=pass; results listed in header order (RFC 6376 5, RFC 9989 4.4.1)',
        zone=[reject, SPF_EX, KEY_EX, KEY('s2', 'example.com', 'rsa2048')],
        sign=[S1, Sig('rsa1024', 'example.com', 's2')],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('fail', 'example.com', 's2'),
                K('pass', 'example.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, []),
            ar=['dkim=fail', 'dkim=pass', 'dmarc=pass']))
    case('042-tampered-body',
        'body changed after signing: body hash mismatch, dkim=fail, SPF fail: dmarc=fail, reject (RFC 6376 6.1.3, RFC 8601 2.7.1)',
        zone=[reject, SPF_EX, KEY_EX],
        sign=[S1], tamper=[('It is short on purpose.', 'It is long on purpose.')],
        args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('fail', 'example.com', 's1')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=fail', 'dmarc=fail']))
    case('043-tampered-header',
        'signed Subject changed after signing: signature does not verify, dkim=fail, dmarc=fail (RFC 6376 6.1.3)',
        zone=[reject, SPF_EX, KEY_EX],
        sign=[S1], tamper=[('Subject: corpus message', 'Subject: corpus massage')],
        args=args(ip=BAD_IP),
        expect=E(dkim=[K('fail', 'example.com', 's1')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=fail', 'dmarc=fail']))
    case('044-revoked-key',
        'key record with empty p= (revoked): dkim=fail, dmarc=fail (RFC 6376 3.6.1 p=, RFC 8601 2.7.1)',
        zone=[reject, SPF_EX, KEY('s1', 'example.com', 'rsa2048', p='')],
        sign=[S1], args=args(ip=BAD_IP),
        expect=E(dkim=[K('fail', 'example.com', 's1')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=fail', 'dmarc=fail']))
    case('045-missing-key',
        'no key record (NXDOMAIN at s1._domainkey.example.com): dkim=permerror, dmarc=fail (RFC 6376 6.1.2, RFC 8601 2.7.1)',
        zone=[reject, SPF_EX],
        sign=[S1], args=args(ip=BAD_IP),
        expect=E(dkim=[K('permerror', 'example.com', 's1')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=permerror', 'dmarc=fail']))
    case('046-key-servfail',
        'SERVFAIL on the key query: dkim=temperror; aligned SPF pass still gives dmarc=pass (RFC 6376 6.1.2, RFC 8601 2.7.1)',
        zone=[reject, SPF_EX, SERVFAIL('s1._domainkey.example.com', 'TXT')],
        sign=[S1],
        expect=E(spf=S('pass', 'example.com'),
            dkim=[K('temperror', 'example.com', 's1')],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['dkim=temperror', 'dmarc=pass']))
    case('047-ed25519-pass',
        'ed25519-sha256 signature, d=example.com: dkim=pass, aligned, dmarc=pass with SPF fail (RFC 8463)',
        zone=[reject, SPF_EX, KEY('ed1', 'example.com', 'ed25519')],
        sign=[Sig('ed25519', 'example.com', 'ed1')], args=args(ip=BAD_IP),
        expect=E(spf=S('fail', 'example.com'),
            dkim=[K('pass', 'example.com', 'ed1', 'ed25519-sha256', True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, []),
            ar=['dkim=pass', 'dmarc=pass']))
    case('048-rsa-sha1-policy',
        'a valid rsa-sha1 signature is not a pass (dkim=policy); SPF passes for another org: dmarc=fail, reject (RFC 8301 3.1, RFC 8601 2.7.1)',
        zone=[reject, KEY_EX, SPF('example.net', 'v=spf1 ip4:192.0.2.10 -all')],
        sign=[Sig('rsa2048', 'example.com', 's1', alg='rsa-sha1')],
        args=args(mfrom='user@example.net'),
        expect=E(spf=S('pass', 'example.net'),
            dkim=[K('policy', 'example.com', 's1', 'rsa-sha1')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=policy', 'dmarc=fail']))
    case('049-rsa-512-policy',
        'a valid signature made with a 512-bit RSA key is not a pass (dkim=policy): dmarc=fail (RFC 8301 3.2)',
        zone=[reject, SPF_EX, KEY('s512', 'example.com', 'rsa512')],
        sign=[Sig('rsa512', 'example.com', 's512')], args=args(ip=BAD_IP),
        expect=E(dkim=[K('policy', 'example.com', 's512')],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['dkim=policy', 'dmarc=fail']))
    case('050-rsa-1024-pass',
        'a 1024-bit RSA key is the smallest accepted: dkim=pass, dmarc=pass (RFC 8301 3.2)',
        zone=[reject, SPF_EX, KEY('s1024', 'example.com', 'rsa1024')],
        sign=[Sig('rsa1024', 'example.com', 's1024', canon=('relaxed', 'simple'))],
        args=args(ip=BAD_IP),
        expect=E(dkim=[K('pass', 'example.com', 's1024', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', False, True, [])))

    # -- SPF
    case('051-spf-ipv6',
        'IPv6 client 2001:db8::25 matched by ip6:2001:db8::/32: spf=pass, aligned, dmarc=pass (RFC 7208 5.6)',
        zone=[reject, SPF('example.com', 'v=spf1 ip6:2001:db8::/32 -all')],
        args=args(ip='2001:db8::25'),
        expect=E(spf=S('pass', 'example.com'), dkim=[],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['spf=pass', 'dmarc=pass']))
    case('052-spf-include',
        'client authorized through include:_spf.esp.example: spf=pass for example.com, aligned (RFC 7208 5.2)',
        zone=[reject, SPF('example.com', 'v=spf1 include:_spf.esp.example -all'),
            SPF('_spf.esp.example', 'v=spf1 ip4:198.51.100.0/24 -all')],
        args=args(ip='198.51.100.7'),
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, [])))
    case('053-spf-redirect',
        'client authorized through redirect=_spf.example.com: spf=pass for example.com (RFC 7208 6.1)',
        zone=[reject, SPF('example.com', 'v=spf1 redirect=_spf.example.com'),
            SPF('_spf.example.com', 'v=spf1 ip4:192.0.2.0/24 -all')],
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, [])))
    case('054-spf-mx',
        'client is the MX host of example.com, record "mx -all": spf=pass (RFC 7208 5.4)',
        zone=[reject, SPF('example.com', 'v=spf1 mx -all'),
            MX('example.com', 10, 'mx1.example.com'),
            A('mx1.example.com', '192.0.2.25')],
        args=args(ip='192.0.2.25'),
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, [])))
    case('055-spf-a',
        'client matched by a:smtp.example.com: spf=pass (RFC 7208 5.3)',
        zone=[reject, SPF('example.com', 'v=spf1 a:smtp.example.com -all'),
            A('smtp.example.com', '192.0.2.30')],
        args=args(ip='192.0.2.30'),
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, [])))
    many = ' '.join('a:h%d.example.com' % i for i in range(1, 12))
    case('056-spf-too-many-lookups',
        '11 DNS-querying terms before the matching ip4: spf=permerror, which is no pass: dmarc=fail, reject (RFC 7208 4.6.4)',
        zone=[reject, SPF('example.com', 'v=spf1 %s ip4:192.0.2.10 -all' % many)]
            + [A('h%d.example.com' % i, '198.51.100.%d' % i) for i in range(1, 12)],
        expect=E(spf=S('permerror', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['spf=permerror', 'dmarc=fail']))
    case('057-spf-void-lookups',
        'three a: terms on non-existent names before the matching ip4: the third void lookup is a permerror (RFC 7208 4.6.4)',
        zone=[reject, SPF('example.com',
            'v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com ip4:192.0.2.10 -all')],
        expect=E(spf=S('permerror', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, []),
            ar=['spf=permerror']))
    case('058-spf-two-void-lookups',
        'two void lookups are within the limit: the following ip4 matches, spf=pass (RFC 7208 4.6.4)',
        zone=[reject, SPF('example.com',
            'v=spf1 a:nx1.example.com a:nx2.example.com ip4:192.0.2.10 -all')],
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, [])))
    case('059-spf-softfail',
        '~all for an unlisted client: spf=softfail is no pass: dmarc=fail, quarantine (RFC 7208 8.5)',
        zone=[DMARC('example.com', 'v=DMARC1; p=quarantine'),
            SPF('example.com', 'v=spf1 ip4:203.0.113.0/24 ~all')],
        expect=E(spf=S('softfail', 'example.com'), dkim=[],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'quarantine', 'quarantine', False, False, []),
            ar=['spf=softfail', 'dmarc=fail']))
    case('060-null-sender',
        'null MAIL FROM: SPF checks postmaster@HELO mail.example.com, which aligns relaxed with From example.com: dmarc=pass (RFC 7208 2.4, RFC 9989 4.4.2)',
        zone=[reject, SPF('mail.example.com', 'v=spf1 ip4:192.0.2.10 -all')],
        headers=headers(frm='Mailer-Daemon <mailer-daemon@example.com>'),
        args=args(helo='mail.example.com', mfrom=''),
        expect=E(spf=S('pass', 'mail.example.com'), dkim=[],
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['spf=pass', 'dmarc=pass']))

    # -- DNS trouble during DMARC discovery
    case('061-dmarc-servfail',
        'SERVFAIL on _dmarc.example.com: dmarc=temperror, no policy, disposition tempfail by default (RFC 9989 4.10.1, 5.3.6)',
        zone=[SPF_EX, SERVFAIL('_dmarc.example.com', 'TXT')],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('temperror', 'example.com', disp='tempfail'),
            ar=['dmarc=temperror'], absent=NO_POLICY))
    case('062-dmarc-servfail-accept',
        'SERVFAIL on _dmarc.example.com with TempErrorAction accept: dmarc=temperror, disposition none (RFC 9989 4.10.1 fail open)',
        zone=[SPF_EX, SERVFAIL('_dmarc.example.com', 'TXT')],
        args=args(ip=BAD_IP), config='TempErrorAction accept\n',
        expect=E(dmarc=D('temperror', 'example.com', disp='none'),
            ar=['dmarc=temperror'], absent=NO_POLICY))
    case('063-dmarc-timeout',
        'a timeout on _dmarc.example.com is a temporary failure too: dmarc=temperror, tempfail (RFC 9989 4.10.1)',
        zone=[SPF_EX, TIMEOUT('_dmarc.example.com', 'TXT')],
        args=args(ip=BAD_IP),
        expect=E(dmarc=D('temperror', 'example.com', disp='tempfail'),
            ar=['dmarc=temperror'], absent=NO_POLICY))
    case('064-walk-servfail',
        'author news.example.com answers NXDOMAIN at _dmarc, the walk\'s _dmarc.example.com SERVFAILs: dmarc=temperror, tempfail (RFC 9989 4.10.1)',
        zone=[SPF('example.net', 'v=spf1 ip4:192.0.2.10 -all'),
            A('news.example.com', '192.0.2.80'),
            SERVFAIL('_dmarc.example.com', 'TXT')],
        headers=headers(frm='<user@news.example.com>'),
        args=args(mfrom='user@example.net'),
        expect=E(spf=S('pass', 'example.net'),
            dmarc=D('temperror', 'news.example.com', disp='tempfail'),
            ar=['dmarc=temperror'], absent=NO_POLICY))

    # -- From: header field
    case('065-no-from',
        'no From: field: dmarc=permerror; MissingFromAction accept (default) gives disposition none (RFC 9989 5.3.1, RFC 5322 3.6)',
        zone=[reject, SPF_EX],
        headers=[h for h in headers() if h[0] != 'From'],
        expect=E(dmarc={'result': 'permerror', 'disposition': 'none'},
            ar=['dmarc=permerror'], absent=NO_POLICY))
    case('066-no-from-reject',
        'no From: field with MissingFromAction reject: dmarc=permerror, disposition reject (RFC 9989 5.3.1, local policy)',
        zone=[reject, SPF_EX],
        headers=[h for h in headers() if h[0] != 'From'],
        config='MissingFromAction reject\n',
        expect=E(dmarc={'result': 'permerror', 'disposition': 'reject'},
            ar=['dmarc=permerror']))
    case('067-from-group-no-address',
        'From: an empty group, no parseable domain: dmarc=permerror, disposition none (RFC 9989 5.3.1, RFC 5322 3.4)',
        zone=[reject, SPF_EX],
        headers=headers(frm='undisclosed-recipients:;'),
        expect=E(dmarc={'result': 'permerror', 'disposition': 'none'},
            ar=['dmarc=permerror']))
    case('068-two-from-fields',
        'two From: fields, example.com passes (p=none) and example.org fails (p=reject): the strictest outcome is reported (RFC 9989 5.3.1, 10.5)',
        zone=[DMARC('example.com', 'v=DMARC1; p=none'),
            DMARC('example.org', 'v=DMARC1; p=reject'), SPF_EX],
        headers=headers(froms=['<user@example.com>', 'Chief <ceo@example.org>']),
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('fail', 'example.org', 'example.org', 'example.org',
                'reject', 'reject', False, False, []),
            ar=['dmarc=fail', 'header.from=example.org']))
    case('069-from-two-addresses',
        'one From: with two domains, example.com passes through DKIM and example.net (p=quarantine) fails: strictest is example.net, quarantine (RFC 9989 5.3.1)',
        zone=[reject, DMARC('example.net', 'v=DMARC1; p=quarantine'), SPF_EX, KEY_EX],
        headers=headers(frm='<a@example.com>, <b@example.net>',
            extra=[('Sender', '<a@example.com>')]),
        sign=[S1], args=args(ip=BAD_IP),
        expect=E(dkim=[K('pass', 'example.com', 's1')],
            dmarc=D('fail', 'example.net', 'example.net', 'example.net',
                'quarantine', 'quarantine', False, False, []),
            ar=['dmarc=fail', 'header.from=example.net']))
    evil = [DMARC('bank.example', 'v=DMARC1; p=reject'),
        DMARC('evil.example', 'v=DMARC1; p=none'),
        SPF('evil.example', 'v=spf1 ip4:192.0.2.10 -all')]
    case('070-encoded-word-display-name',
        'display name is an encoded word spelling ceo@bank.example; the angle-addr domain evil.example decides (RFC 5322 3.4, RFC 2047 5, RFC 9989 5.3.1)',
        zone=evil,
        headers=headers(frm='=?UTF-8?Q?ceo=40bank=2Eexample?= <user@evil.example>'),
        args=args(mfrom='user@evil.example'),
        expect=E(spf=S('pass', 'evil.example'),
            dmarc=D('pass', 'evil.example', 'evil.example', 'evil.example',
                'none', 'none', True, False, []),
            ar=['dmarc=pass', 'header.from=evil.example']))
    case('071-quoted-display-name',
        'display name is a quoted string holding ceo@bank.example; the angle-addr domain evil.example decides (RFC 5322 3.4)',
        zone=evil,
        headers=headers(frm='"ceo@bank.example" <user@evil.example>'),
        args=args(mfrom='user@evil.example'),
        expect=E(dmarc=D('pass', 'evil.example', 'evil.example',
                'evil.example', 'none', 'none', True, False, []),
            ar=['header.from=evil.example']))
    case('072-uppercase-domain',
        'From and MAIL FROM domains in upper case: compared case-insensitively, reported lower case, dmarc=pass (RFC 9989 3.2.10, RFC 4343)',
        zone=[reject, SPF_EX],
        headers=headers(frm='User <User@EXAMPLE.COM>'),
        args=args(mfrom='User@Example.COM'),
        expect=E(spf={'result': 'pass'},
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['dmarc=pass']))
    case('073-trailing-dot',
        'From domain written with a trailing dot (example.com.): the same Author Domain example.com, dmarc=pass (RFC 1034 3.1)',
        zone=[reject, SPF_EX],
        headers=headers(frm='User <user@example.com.>'),
        expect=E(spf=S('pass', 'example.com'),
            dmarc=D('pass', 'example.com', 'example.com', 'example.com',
                'reject', 'none', True, False, []),
            ar=['dmarc=pass']))
    idn = 'xn--bcher-kva.example'
    case('074-idn-from',
        'From domain is the U-label bücher.example in UTF-8; its A-label xn--bcher-kva.example holds the record: dmarc=pass (RFC 9989 5.3.1, RFC 5890 2.3, RFC 6532)',
        zone=[DMARC(idn, 'v=DMARC1; p=reject'),
            SPF(idn, 'v=spf1 ip4:192.0.2.10 -all')],
        headers=headers(frm='Jörg <joerg@bücher.example>'),
        args=args(mfrom='joerg@' + idn),
        expect=E(spf=S('pass', idn),
            dmarc=D('pass', idn, idn, idn, 'reject', 'none', True, False, []),
            ar=['dmarc=pass', 'header.from=' + idn]))

    # -- organizational domain method
    tld = [reject, DMARC('com', 'v=DMARC1; p=none'),
        KEY('s1', 'other.com', 'rsa2048'), SPF_EX]
    case('075-treewalk-record-at-tld',
        'a record at _dmarc.com without psd= makes com the org domain of both example.com and other.com, so d=other.com aligns relaxed (RFC 9989 4.10.2 step 3, B.4.2)',
        zone=tld, sign=[Sig('rsa2048', 'other.com', 's1')],
        args=args(ip=BAD_IP),
        expect=E(dkim=[K('pass', 'other.com', 's1', aligned=True)],
            dmarc=D('pass', 'example.com', 'example.com', 'com', 'reject',
                'none', False, True, [])))
    case('076-psl-org-domain',
        'the same data with OrgDomainMethod psl: org domains example.com and other.com differ, d=other.com does not align, reject (RFC 7489 3.2)',
        zone=tld, sign=[Sig('rsa2048', 'other.com', 's1')],
        args=args(ip=BAD_IP), config='OrgDomainMethod psl\n', model=False,
        expect=E(dkim=[K('pass', 'other.com', 's1', aligned=False)],
            dmarc=D('fail', 'example.com', 'example.com', 'example.com',
                'reject', 'reject', False, False, [])))

    # -- input and usage errors
    case('077-missing-file',
        'the message file does not exist: exit 1 with a message on stderr (dmarcctl(1) eval exit status)',
        zone=[reject], nomsg=True, expect=E(exit=1))
    case('078-empty-file',
        'the message file is empty (no header, no From): not a message, exit 1 (dmarcctl(1) eval exit status)',
        zone=[reject], raw=b'', expect=E(exit=1))
    case('079-binary-file',
        'the message holds NUL bytes: rejected as unreadable input, exit 1 (RFC 5322 2.1, dmarcctl(1))',
        zone=[reject],
        raw=b'From: <user@example.com>\r\nSubject: x\x00y\r\n\r\n\x00\x01\x02\xff\r\n',
        expect=E(exit=1))
    case('080-usage-no-client-ip',
        'eval without --client-ip is a usage error: exit 2 with a message on stderr (dmarcctl(1))',
        zone=[reject], args=args(ip=None), expect=E(exit=2))

    # -- hostile From: shapes (project decision, dmarcctl(1)): a From: that
    # does not parse is still evaluated for every domain after an '@', so
    # breaking the syntax never turns a reject into a permerror
    bank = [DMARC('bank.example', 'v=DMARC1; p=reject'),
        DMARC('evil.example', 'v=DMARC1; p=none'),
        SPF('evil.example', 'v=spf1 ip4:192.0.2.10 -all')]
    case('081-from-malformed-list',
        'From: "ceo@bank.example, u2" (CVE-2021-34555 shape) does not parse; bank.example is still evaluated: fail, reject, not permerror',
        zone=bank, model=False,
        headers=headers(frm='ceo@bank.example, u2'),
        args=args(mfrom='user@evil.example'),
        expect=E(spf=S('pass', 'evil.example'),
            dmarc=D('fail', 'bank.example', 'bank.example', 'bank.example',
                'reject', 'reject', False, False, []),
            ar=['dmarc=fail', 'header.from=bank.example']))
    case('082-from-at-in-display-name',
        'From: "ceo@bank.example <user@evil.example>" with an unquoted @ in the display name: both domains evaluated, bank.example fails: reject',
        zone=bank, model=False,
        headers=headers(frm='ceo@bank.example <user@evil.example>'),
        args=args(mfrom='user@evil.example'),
        expect=E(dmarc=D('fail', 'bank.example', 'bank.example',
                'bank.example', 'reject', 'reject', False, False, []),
            ar=['header.from=bank.example']))
    case('083-forged-authres-ignored',
        'an incoming Authentication-Results header with our authserv-id claiming dmarc=pass changes nothing (RFC 8601 5, CVE-2019-20790 shape)',
        zone=bank, model=False,
        headers=headers(frm='CEO <ceo@bank.example>', extra=[
            ('Authentication-Results', 'mx.test.example; spf=pass smtp.mailfrom=bank.example; dmarc=pass header.from=bank.example'),
            ('Received-SPF', 'pass (mx.test.example: 203.0.113.66 is allowed)')]),
        args=args(ip=BAD_IP, mfrom='ceo@bank.example'),
        expect=E(spf=S('none', 'bank.example'),
            dmarc=D('fail', 'bank.example', 'bank.example', 'bank.example',
                'reject', 'reject', False, False, []),
            ar=['spf=none', 'dmarc=fail']))

# ---------------------------------------------------------------- checks


class CheckError(Exception):
    pass


def author_domains(case):
    """From: domains as RFC 5322 and RFC 6532 give them (for the model)."""
    vals = [v for n, v in case['headers'] if n.lower() == 'from']
    out = []
    for _, addr in email.utils.getaddresses(vals):
        if '@' not in addr:
            continue
        d = addr.rsplit('@', 1)[1].rstrip('.').lower()
        d = d.encode('idna').decode() if not d.isascii() else d
        if d not in out:
            out.append(d)
    return out


def check_dkim(case, msg, zone):
    exp = case['expect'].get('dkim')
    if exp is None:
        return
    sigs = case.get('sign', [])
    if len(exp) != len(sigs):
        raise CheckError('dkim: %d expected results for %d signatures'
            % (len(exp), len(sigs)))

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        recs = zone.txt(name)
        return recs[0].encode() if recs else None

    for idx, e in enumerate(exp):  # top signature first
        sig = sigs[len(sigs) - 1 - idx]
        if e['domain'] != sig.d or e['selector'] != sig.s or \
            e['algorithm'] != sig.alg:
            raise CheckError('dkim[%d]: table says d=%s s=%s a=%s'
                % (idx, sig.d, sig.s, sig.alg))
        if e['result'] not in ('pass', 'policy', 'fail'):
            continue
        try:
            ok = dkim.DKIM(msg, minkey=512).verify(idx=idx,
                dnsfunc=dnsfunc)
        except dkim.DKIMException:
            ok = False
        if ok != (e['result'] != 'fail'):
            raise CheckError('dkim[%d]: dkimpy says valid=%s, expected %s'
                % (idx, ok, e['result']))


def check_spf(case, zone):
    """pyspf answering from the case zone; returns (result, domain)."""
    a = case['args']
    ip = a[a.index('--client-ip') + 1] if '--client-ip' in a else None
    helo = a[a.index('--helo') + 1] if '--helo' in a else HELO
    mfrom = a[a.index('--mail-from') + 1] if '--mail-from' in a else ''
    if ip is None:
        return None
    if mfrom == '':
        mfrom = 'postmaster@' + helo

    def lookup(name, qtype, strict=True, timeout=None):
        if zone.fault(name, qtype):
            raise spf.TempError('zone fault')
        out = []
        for d in zone.get(name, qtype):
            if qtype in ('TXT', 'SPF'):
                out.append(((name, qtype),
                    [s.encode() for s in split_txt(d)]))
            elif qtype == 'MX':
                out.append(((name, qtype), d))
            else:
                out.append(((name, qtype), d))
        return out

    saved = spf.DNSLookup
    spf.DNSLookup = lookup
    try:
        q = spf.query(i=ip, s=mfrom, h=helo)
        res = q.check()[0]
    finally:
        spf.DNSLookup = saved
    dom = mfrom.rsplit('@', 1)[1].lower()
    e = case['expect'].get('spf')
    if e is not None:
        if e.get('result') != res:
            raise CheckError('spf: pyspf says %s, expected %s'
                % (res, e.get('result')))
        if 'domain' in e and e['domain'] != dom:
            raise CheckError('spf: domain %s, expected %s'
                % (dom, e['domain']))
    return res, dom

# A model of RFC 9989 policy discovery, written from the RFC text and the
# decisions in DESIGN.md 1, used only to cross-check the table above.


class Temp(Exception):
    pass


def parse_record(txt):
    tags = {}
    for part in txt.split(';'):
        if '=' in part:
            k, v = part.split('=', 1)
            tags.setdefault(k.strip().lower(), v.strip())
    return tags


def dmarc_lookup(zone, domain):
    name = '_dmarc.' + domain
    if zone.fault(name, 'TXT'):
        raise Temp()
    recs = [t for t in zone.txt(name)
        if re.match(r'v\s*=\s*DMARC1\s*(;|$)', t)]
    return parse_record(recs[0]) if len(recs) == 1 else None


def walk_names(domain):
    labels = domain.split('.')
    names = [domain]
    if len(labels) > 8:
        labels = labels[-7:]
    else:
        labels = labels[1:]
    while labels:
        names.append('.'.join(labels))
        labels = labels[1:]
    return names[:8]


def walk(zone, domain):
    """[(name, record)] found from domain upwards, stopping at psd=y/n."""
    found = []
    for name in walk_names(domain):
        rec = dmarc_lookup(zone, name)
        if rec is None:
            continue
        found.append((name, rec))
        if rec.get('psd') in ('y', 'n'):
            break
    return found


def org_domain(zone, domain):
    found = walk(zone, domain)
    for name, rec in found:  # longest first
        if rec.get('psd') == 'n':
            return name
        if rec.get('psd') == 'y' and name != domain:
            return domain.split('.', domain.count('.')
                - name.count('.') - 1)[-1]
    if found:
        return found[-1][0]
    return domain


POLICIES = ('none', 'quarantine', 'reject')


def model_one(zone, author, spf_res, spf_dom, dkims, opts):
    try:
        found = walk(zone, author)
        org = org_domain(zone, author)
        own = found[0][1] if found and found[0][0] == author else None
        if own is not None:
            pd, rec = author, own
        else:
            by = dict(found)
            psdrec = [(n, r) for n, r in found if r.get('psd') == 'y']
            if org in by:
                pd, rec = org, by[org]
            elif psdrec:
                pd, rec = psdrec[0]
            else:
                out = {'result': 'none', 'header_from': author,
                    'disposition': 'none', 'reasons': []}
                if spf_res != 'pass' and not any(
                    d['result'] == 'pass' for d in dkims):
                    out.update(spf_aligned=False,
                        dkim_aligned=False)
                return out
    except Temp:
        return {'result': 'temperror', 'header_from': author,
            'disposition': 'tempfail' if opts['temp'] == 'tempfail'
            else 'none'}
    out = {'header_from': author, 'policy_domain': pd, 'org_domain': org}
    bad = any(rec.get(t) is not None and rec.get(t) not in POLICIES
        for t in ('p', 'sp', 'np'))
    if bad:
        if not re.match(r'mailto:[^@\s]+@[^@\s]+', rec.get('rua', '')):
            out.update(result='permerror', disposition='none')
            return out
        rec = {'p': 'none', 'adkim': rec.get('adkim'),
            'aspf': rec.get('aspf')}
    if pd == author:
        pol = rec.get('p', 'none')
    elif zone.exists(author):
        pol = rec.get('sp') or rec.get('p', 'none')
    else:
        pol = rec.get('np') or rec.get('sp') or rec.get('p', 'none')

    def aligned(ident, mode):
        if mode == 's':
            return ident == author
        return ident == author or org_domain(zone, ident) == org

    spf_al = spf_res == 'pass' and aligned(spf_dom, rec.get('aspf', 'r'))
    dkim_al = any(aligned(d['domain'], rec.get('adkim', 'r'))
        for d in dkims if d['result'] == 'pass')
    out.update(policy=pol, spf_aligned=spf_al, dkim_aligned=dkim_al,
        reasons=[])
    if spf_al or dkim_al:
        out.update(result='pass', disposition='none')
        return out
    out['result'] = 'fail'
    disp = pol
    pct = rec.get('pct')
    down = {'reject': 'quarantine', 'quarantine': 'none', 'none': 'none'}
    if rec.get('t') == 'y' or pct == '0':
        if disp != 'none':
            disp = down[disp]
            out['reasons'] = ['policy_test_mode']
    elif pct is not None and opts['honorpct'] and opts['roll'] is not None \
        and opts['roll'] >= int(pct) and disp != 'none':
        disp = down[disp]
        out['reasons'] = ['other']
    out['disposition'] = disp
    return out


def model(case, zone, spf_res, spf_dom):
    cfg = dict(l.split(None, 1) for l in case.get('config', '').splitlines()
        if l.strip())
    a = case['args']
    opts = {'temp': cfg.get('TempErrorAction', 'tempfail'),
        'honorpct': cfg.get('HonorPct', 'yes') != 'no',
        'roll': int(a[a.index('--pct-roll') + 1])
        if '--pct-roll' in a else None}
    authors = author_domains(case)
    if not authors:
        return {'result': 'permerror', 'disposition':
            cfg.get('MissingFromAction', 'accept').replace('accept', 'none')}
    dk = case['expect'].get('dkim', [])
    outs = [model_one(zone, d, spf_res, spf_dom, dk, opts)
        for d in authors]
    rank = {'reject': 3, 'quarantine': 2, 'tempfail': 1, 'none': 0}
    return max(outs, key=lambda o: rank[o['disposition']])


def check_model(case, zone, spf_res, spf_dom):
    exp = case['expect'].get('dmarc')
    if exp is None or case.get('model') is False:
        return
    got = model(case, zone, spf_res, spf_dom)
    for k, v in exp.items():
        if got.get(k) != v:
            raise CheckError('dmarc.%s: model says %r, expected %r'
                % (k, got.get(k), v))
    for path in case['expect'].get('_absent', []):
        k = path.split('.', 1)[1]
        if k in got:
            raise CheckError('%s: model has %r, expected absent'
                % (path, got[k]))


def check(case, msg):
    if case['expect'].get('_exit'):
        return
    zone = Zone(case['zone'])
    check_dkim(case, msg, zone)
    spf_res, spf_dom = check_spf(case, zone)
    check_model(case, zone, spf_res, spf_dom)

# ---------------------------------------------------------------- output


def write_case(case, msg):
    d = os.path.join(CASES_DIR, case['name'])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    def put(fname, data):
        mode = 'wb' if isinstance(data, bytes) else 'w'
        with open(os.path.join(d, fname), mode) as f:
            f.write(data)

    put('zone', zone_text(case))
    if msg is not None:
        put('message.eml', msg)
    put('args', ''.join(a + '\n' for a in case['args']))
    if case.get('config'):
        put('config', '# %s\n%s' % (case['name'], case['config']))
    put('expect.json', json.dumps(case['expect'], indent=1,
        ensure_ascii=False) + '\n')
    put('README', case['readme'] + '\n')


def main(argv):
    global KEYS
    check_only = '--check' in argv[1:]
    KEYS = load_keys()
    define_cases()
    names = [c['name'] for c in CASES]
    if len(set(names)) != len(names) or \
        len({n[:3] for n in names}) != len(names):
        raise SystemExit('mkcases: duplicate case name or number')
    bad = 0
    built = []
    for c in CASES:
        msg = None if c.get('nomsg') else build_message(c)
        try:
            check(c, msg)
        except CheckError as e:
            print('mkcases: %s: %s' % (c['name'], e), file=sys.stderr)
            bad += 1
        built.append((c, msg))
    if bad:
        raise SystemExit('mkcases: %d case(s) contradict their data; '
            'nothing written' % bad)
    if check_only:
        print('mkcases: %d cases checked' % len(CASES))
        return 0
    for entry in os.listdir(CASES_DIR):
        if re.match(r'\d{3}-', entry) and entry not in names and \
            os.path.isdir(os.path.join(CASES_DIR, entry)):
            shutil.rmtree(os.path.join(CASES_DIR, entry))
    for c, msg in built:
        write_case(c, msg)
    print('mkcases: %d cases written to %s' % (len(CASES), CASES_DIR))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
