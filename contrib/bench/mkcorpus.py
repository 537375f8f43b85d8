#!/usr/bin/python3
"""mkcorpus.py - a reproducible load corpus for contrib/bench/milter-bench

    /usr/bin/python3 contrib/bench/mkcorpus.py [-n N] [--seed S] [OUTDIR]

Writes under OUTDIR (default /tmp/dmarc-bench-corpus):

  corpus/NNNNNN.eml, .env   N messages of 2 KB to 200 KB (log-normal sizes,
                            median about 8 KB), each with its envelope
                            (client IP, helo, mail from, recipients) for
                            milter-bench
  postfix/msg3k.eml, .env   one 3 KB message, DKIM-signed (rsa-sha256) by
                            its From: domain, aligned pass: for smtp-source
  zone                      every DNS answer the corpus needs, in the
                            DNSZoneFile format of dmarc-milter (DESIGN.md 3)
  unbound.conf              the same data as unbound local-zone/local-data
                            lines (include it in a server: clause)
  manifest.json             per-message class and signatures, and the totals
                            compare.sh uses for the cryptographic floor

The mix (defaults): 60 % aligned DMARC pass (mostly DKIM, some by SPF alone),
25 % DMARC fail under p=reject, quarantine or none (forged From:, failing or
unaligned signatures, SPF fail or unaligned pass), 15 % no DMARC record.
Messages carry 0 to 3 DKIM signatures, RSA-2048 and ed25519, with keys from
tests/gen/keys/ (the same test-only keys as tests/gen/mkcases.py).  Client
addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32); every SPF record lists all of them or none,
so a result does not depend on which message opens a connection.  Names are
under .example (OpenDKIM's libunbound refuses .test).

Output depends only on N and the seed: fixed t= on signatures, no x=,
deterministic RSA PKCS#1 v1.5 and ed25519 signing, a seeded RNG.

Needs /usr/bin/python3 with python3-dkim and python3-nacl, and openssl.
"""

import argparse
import base64
import json
import math
import os
import random
import shutil
import subprocess
import sys

import dkim
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
KEYS_DIR = os.path.join(TOP, 'tests', 'gen', 'keys')

SIGN_TIME = 1700000000  # t= of every signature
DATE = 'Tue, 14 Nov 2023 22:13:20 +0000'
SIZE_MIN = 2 * 1024
SIZE_MAX = 200 * 1024
SIZE_MEDIAN = 8 * 1024
SIZE_SIGMA = 1.0
MIX = (('pass', 60), ('fail', 25), ('none', 15))
N_PASS_DOMAINS = 100
N_FAIL_DOMAINS = 40
N_NONE_DOMAINS = 30
N_ESP = 3
TTL = 86400
BENCH_NETS = ('ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip4:203.0.113.0/24 '
    'ip6:2001:db8::/32')
SIGNED = [b'from', b'to', b'subject', b'date', b'message-id',
    b'mime-version', b'content-type']
WORDS = ('the of and to in is that for it as was with be by on not he this '
    'are or his from at which but have an they you were her she there been '
    'one all we their has would when if so no will more about out up them '
    'some could what into than its time only other new like then also any '
    'these may such two first after most over know years through where much '
    'report quarterly invoice meeting shipment account schedule policy '
    'delivery update review budget project customer service network').split()


class FixedTime:
    """Stands in for the time module inside dkimpy: a fixed t=."""

    @staticmethod
    def time():
        return SIGN_TIME


def load_keys():
    """(private key, DNS p= value) for 'rsa' and 'ed' (tests/gen/keys)."""
    rsa = os.path.join(KEYS_DIR, 'rsa2048.pem')
    ed = os.path.join(KEYS_DIR, 'ed25519.key')
    for p in (rsa, ed):
        if not os.path.exists(p):
            sys.exit('mkcorpus: %s missing (run tests/gen/mkcases.py once)'
                % p)
    with open(rsa, 'rb') as f:
        rsa_priv = f.read()
    der = subprocess.run(['openssl', 'rsa', '-in', rsa, '-pubout',
        '-outform', 'DER'], check=True, capture_output=True).stdout
    with open(ed, 'rb') as f:
        ed_priv = f.read().strip()
    vk = nacl.signing.SigningKey(base64.b64decode(ed_priv)).verify_key
    return {
        'rsa': (rsa_priv, 'v=DKIM1; k=rsa; p=' +
            base64.b64encode(der).decode()),
        'ed': (ed_priv, 'v=DKIM1; k=ed25519; p=' +
            base64.b64encode(bytes(vk)).decode()),
    }


class Zone:
    """TXT records, written as a zone file and as unbound local-data."""

    def __init__(self):
        self.rr = []

    def txt(self, name, text):
        self.rr.append((name.lower().rstrip('.') + '.', text))

    @staticmethod
    def strings(text):
        # RFC 1035 3.3.14: at most 255 octets a character-string
        parts = [text[i:i + 250] for i in range(0, len(text), 250)] or ['']
        return ' '.join('"%s"' % p.replace('\\', '\\\\').replace('"', '\\"')
            for p in parts)

    def write_zone(self, path):
        with open(path, 'w') as f:
            f.write('; mkcorpus.py - DNS answers for the benchmark corpus\n')
            f.write('$TTL %d\n' % TTL)
            for name, text in self.rr:
                f.write('%s IN TXT %s\n' % (name, self.strings(text)))

    def write_unbound(self, path):
        with open(path, 'w') as f:
            f.write('# mkcorpus.py - the benchmark corpus zone for unbound '
                '(inside server:)\n')
            f.write('local-zone: "example." static\n')
            for name, text in self.rr:
                f.write("local-data: '%s %d IN TXT %s'\n"
                    % (name, TTL, self.strings(text)))


class Gen:
    def __init__(self, seed, keys):
        self.r = random.Random(seed)
        self.keys = keys
        self.zone = Zone()
        self.domains = {'pass': [], 'fail': [], 'none': []}
        self.policy = {}
        self.esp = ['esp%d.example' % i for i in range(N_ESP)]
        self.build_zone()

    def publish_keys(self, d):
        for sel in ('rsa', 'ed'):
            self.zone.txt('%s._domainkey.%s' % (sel, d), self.keys[sel][1])

    def build_zone(self):
        r = self.r
        for e in self.esp:
            self.zone.txt(e, 'v=spf1 %s -all' % BENCH_NETS)
            self.zone.txt('_dmarc.' + e, 'v=DMARC1; p=none')
            self.publish_keys(e)
        for i in range(N_PASS_DOMAINS):
            d = 'p%03d.example' % i
            p = r.choice(('reject', 'reject', 'quarantine', 'none'))
            self.policy[d] = p
            self.domains['pass'].append(d)
            self.zone.txt(d, 'v=spf1 %s -all' % BENCH_NETS)
            self.zone.txt('_dmarc.' + d,
                'v=DMARC1; p=%s; rua=mailto:dmarc@%s' % (p, d))
            self.publish_keys(d)
        for i in range(N_FAIL_DOMAINS):
            d = 'f%03d.example' % i
            # 40 % reject, 30 % quarantine, 30 % none
            p = ('reject', 'quarantine', 'none')[0 if i % 10 < 4 else
                1 if i % 10 < 7 else 2]
            self.policy[d] = p
            self.domains['fail'].append(d)
            self.zone.txt(d, 'v=spf1 -all')
            self.zone.txt('_dmarc.' + d, 'v=DMARC1; p=%s' % p)
            self.publish_keys(d)
        for i in range(N_NONE_DOMAINS):
            d = 'n%03d.example' % i
            self.domains['none'].append(d)
            if i % 2 == 0:
                self.zone.txt(d, 'v=spf1 %s -all' % BENCH_NETS)
            self.publish_keys(d)

    # ------------------------------------------------------------ content

    def client_ip(self):
        r = self.r
        if r.random() < 0.1:
            return '2001:db8::%x:%x' % (r.randrange(1, 0xffff),
                r.randrange(1, 0xffff))
        net = r.choice(('192.0.2', '198.51.100', '203.0.113'))
        return '%s.%d' % (net, r.randrange(1, 255))

    def text_line(self):
        r = self.r
        words, n = [], 0
        while n < 60:
            w = r.choice(WORDS)
            words.append(w)
            n += len(w) + 1
        return ' '.join(words)

    def body(self, target):
        """A body of about target bytes: text, and for larger messages a
        base64 attachment (MIME multipart)."""
        r = self.r
        lines, n = [], 0
        text_target = target if target < 20000 else r.randrange(2000, 8000)
        while n < text_target:
            line = self.text_line()
            if r.random() < 0.08:
                line = ''
            lines.append(line)
            n += len(line) + 2
        text = '\r\n'.join(lines) + '\r\n'
        if target < 20000:
            return 'text/plain; charset=us-ascii', text
        nraw = max(1, (target - n) * 3 // 4)
        raw = r.getrandbits(8 * nraw).to_bytes(nraw, 'little')
        b64 = base64.b64encode(raw).decode()
        att = '\r\n'.join(b64[i:i + 76] for i in range(0, len(b64), 76))
        bnd = '=_bench_%08x' % r.getrandbits(32)
        body = ('This is a multi-part message in MIME format.\r\n\r\n'
            '--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s'
            '\r\n--%s\r\nContent-Type: application/octet-stream\r\n'
            'Content-Transfer-Encoding: base64\r\n'
            'Content-Disposition: attachment; filename="data.bin"\r\n\r\n'
            '%s\r\n--%s--\r\n' % (bnd, text, bnd, att, bnd))
        return 'multipart/mixed; boundary="%s"' % bnd, body

    def size(self):
        s = int(self.r.lognormvariate(math.log(SIZE_MEDIAN), SIZE_SIGMA))
        return max(SIZE_MIN, min(SIZE_MAX, s))

    def message(self, idx, frm, to, subject, target, sigs, tamper=False):
        """sigs: [(key 'rsa'|'ed', d=, (hdr canon, body canon))]"""
        # about 330 bytes of headers, 480 a DKIM-Signature
        ctype, body = self.body(max(256, target - 330 - 480 * len(sigs)))
        hdrs = [('From', '"Sender %d" <%s>' % (idx, frm)),
            ('To', ', '.join('<%s>' % t for t in to)),
            ('Subject', subject),
            ('Date', DATE),
            ('Message-ID', '<bench.%06d@%s>' % (idx, frm.split('@')[1])),
            ('MIME-Version', '1.0'),
            ('Content-Type', ctype)]
        msg = b''.join(('%s: %s\r\n' % h).encode() for h in hdrs)
        msg += b'\r\n' + body.encode()
        saved = dkim.time
        dkim.time = FixedTime
        hashed = 0
        canons = set()
        try:
            for key, d, canon in sigs:
                alg = b'ed25519-sha256' if key == 'ed' else b'rsa-sha256'
                sh = dkim.sign(msg, key.encode(), d.encode(),
                    self.keys[key][0], signature_algorithm=alg,
                    canonicalize=(canon[0].encode(), canon[1].encode()),
                    include_headers=SIGNED, linesep=b'\r\n')
                msg = sh + msg
                canons.add(canon[1])
                hashed += 600  # signed headers, about
        finally:
            dkim.time = saved
        if tamper:
            # a changed body: every signature's body hash fails
            msg = msg.replace(b'\r\n\r\n', b'\r\n\r\n[forwarded] ', 1)
        hashed += len(body) * len(canons)
        if len(msg) < min(SIZE_MIN, target):
            # short signatures (ed25519) left it small: once more, bigger
            return self.message(idx, frm, to, subject,
                target + SIZE_MIN - len(msg), sigs, tamper)
        return msg, hashed

    def one(self, idx):
        r = self.r
        roll = r.uniform(0, 100)
        cls = 'pass' if roll < MIX[0][1] else (
            'fail' if roll < MIX[0][1] + MIX[1][1] else 'none')
        d = r.choice(self.domains[cls])
        esp = r.choice(self.esp)
        canon = lambda: r.choice((('relaxed', 'relaxed'),
            ('relaxed', 'relaxed'), ('relaxed', 'simple'),
            ('simple', 'simple')))
        alg = lambda: 'rsa' if r.random() < 0.7 else 'ed'
        nsig = r.choices((0, 1, 2, 3), (10, 45, 35, 10))[0]
        tamper = False
        if cls == 'pass':
            mfrom = 'bounce@' + (d if r.random() < 0.8 else esp)
            if nsig == 0 and not mfrom.endswith('@' + d):
                nsig = 1
            sigs = []
            if nsig >= 1:
                sigs.append((alg(), d, canon()))
            if nsig >= 2:
                # dual-signed (both algorithms) or an ESP's signature
                if r.random() < 0.5:
                    sigs.append(('ed' if sigs[0][0] == 'rsa' else 'rsa',
                        d, sigs[0][2]))
                else:
                    sigs.append(('rsa', esp, canon()))
            if nsig >= 3:
                sigs.append(('rsa', esp, canon()))
            expect = 'pass'
        elif cls == 'fail':
            mfrom = 'bounce@' + (d if r.random() < 0.5 else esp)
            sigs = []
            kind = r.random()
            if nsig >= 1 and kind < 0.5:
                # the From: domain's signature, broken on the way
                sigs.append((alg(), d, canon()))
                tamper = True
            elif nsig >= 1:
                sigs.append(('rsa', esp, canon()))
            for _ in range(nsig - 1):
                sigs.append((alg(), esp, canon()))
            expect = 'fail'
        else:
            mfrom = 'bounce@' + d
            sigs = [(alg(), d, canon()) for _ in range(min(nsig, 2))]
            expect = 'none'
        nrcpt = 1 if r.random() < 0.85 else 2
        to = ['user%d@dest.example' % r.randrange(1000)
            for _ in range(nrcpt)]
        subject = 'Benchmark message %d: %s' % (idx, self.text_line()[:40])
        raw, hashed = self.message(idx, 'user%d@%s' % (r.randrange(100), d),
            to, subject, self.size(), sigs, tamper)
        env = {'client': self.client_ip(),
            'helo': 'mta%d.%s' % (r.randrange(10), mfrom.split('@')[1]),
            'from': mfrom, 'rcpt': to}
        info = {'class': cls, 'expect': expect, 'domain': d,
            'policy': self.policy.get(d, ''), 'size': len(raw),
            'rsa': sum(1 for s in sigs if s[0] == 'rsa'),
            'ed25519': sum(1 for s in sigs if s[0] == 'ed'),
            'hash_bytes': hashed, 'tampered': tamper}
        return raw, env, info


def write_msg(base, raw, env):
    with open(base + '.eml', 'wb') as f:
        f.write(raw)
    with open(base + '.env', 'w') as f:
        f.write('client %s\nhelo %s\nfrom <%s>\n' % (env['client'],
            env['helo'], env['from']))
        for t in env['rcpt']:
            f.write('rcpt <%s>\n' % t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-n', type=int, default=2000,
        help='messages (default 2000)')
    ap.add_argument('--seed', type=int, default=1,
        help='RNG seed (default 1)')
    ap.add_argument('outdir', nargs='?', default='/tmp/dmarc-bench-corpus')
    a = ap.parse_args()
    if a.n < 1 or a.n > 1000000:
        ap.error('-n: 1 to 1000000')
    keys = load_keys()
    g = Gen(a.seed, keys)
    out = os.path.abspath(a.outdir)
    cdir = os.path.join(out, 'corpus')
    pdir = os.path.join(out, 'postfix')
    for d in (cdir, pdir):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    infos = []
    for i in range(a.n):
        raw, env, info = g.one(i)
        write_msg(os.path.join(cdir, '%06d' % i), raw, env)
        infos.append(info)

    # smtp-source: one 3 KB message, rsa-sha256, aligned pass
    d = g.domains['pass'][0]
    raw, _ = g.message(0, 'user@' + d, ['sink@dest.example'],
        'Postfix benchmark message', 3 * 1024,
        [('rsa', d, ('relaxed', 'relaxed'))])
    write_msg(os.path.join(pdir, 'msg3k'), raw, {'client': '192.0.2.10',
        'helo': 'mta.' + d, 'from': 'bounce@' + d,
        'rcpt': ['sink@dest.example']})

    g.zone.write_zone(os.path.join(out, 'zone'))
    g.zone.write_unbound(os.path.join(out, 'unbound.conf'))
    n = len(infos)
    classes = {}
    for i in infos:
        k = '%s/%s' % (i['class'], i['policy'] or '-')
        classes[k] = classes.get(k, 0) + 1
    manifest = {
        'messages': n, 'seed': a.seed,
        'bytes': sum(i['size'] for i in infos),
        'rsa2048_verifies': sum(i['rsa'] for i in infos),
        'ed25519_verifies': sum(i['ed25519'] for i in infos),
        'sha256_bytes': sum(i['hash_bytes'] for i in infos),
        'postfix_message': os.path.join(pdir, 'msg3k.eml'),
        'postfix_from': 'bounce@' + d, 'postfix_domain': d,
        'classes': classes, 'per_message': infos,
    }
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    print('mkcorpus: %d messages, %.1f MB, %d RSA-2048 + %d ed25519 '
        'signatures -> %s' % (n, manifest['bytes'] / 1048576.0,
        manifest['rsa2048_verifies'], manifest['ed25519_verifies'], out))


if __name__ == '__main__':
    main()
