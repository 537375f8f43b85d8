#!/usr/bin/python3
"""milterc.py - a small milter protocol client for the fault tests

    milterc.py send --milter SOCK --msg FILE [--client IP] [--helo NAME]
        [--from ADDR] [--rcpt ADDR] [--qid QID] [--count N]
        [--offer full|min] [--timeout S]
    milterc.py drops --milter SOCK --msg FILE --pid PID [--client IP] ...
    milterc.py storm --milter SOCK --msg FILE --count N [...]

SOCK is inet:PORT@HOST or unix:PATH.  The wire format: a 4-byte
big-endian length, a command byte, data (libmilter's mfdef.h); the
sequence is Postfix's as contrib/bench/milter-bench.c sends it: option
negotiation (version 6), connect, helo, MAIL, RCPT, DATA, each header,
end of headers, body chunks, end of message, then ABORT and QUIT.  Steps
the milter asked to skip (SMFIP_NO*) are not sent and steps it does not
answer (SMFIP_NR_*) are not waited for.  "--offer min" offers no protocol
flag at all (every step sent and answered), as an older MTA would.

send: one JSON object a message on stdout: verdict (accept, reject,
tempfail, discard, quarantine+accept...), the SMTP reply text, the header
changes, the time of the whole message and of the slowest single step.
A connection that fails gives {"verdict": "error", "error": "..."}.

drops: for every stage (after negotiation, connect, helo, MAIL, RCPT,
DATA, each header, end of headers, in a body packet, between body chunks,
before end of message, after end of message unanswered, after the answer
without QUIT) and two ways of leaving (close, and RST through SO_LINGER 0),
with both offers: open a connection, drop it there, check the process is
alive, then send one full message; one JSON line per case.

storm: COUNT drops, cycling through the same stages and ways, then one
JSON line with the count and the time.

Every read is bounded (a reply of at most 1 MiB, a timeout on each
socket); the message file is at most 4 MiB.
"""

import argparse
import json
import os
import socket
import struct
import time

# mfdef.h
SMFI_CURR_ACTS = 0x1FF
SMFI_CURR_PROT = 0x1FFFFF
SMFIP_NOCONNECT = 0x1
SMFIP_NOHELO = 0x2
SMFIP_NOMAIL = 0x4
SMFIP_NORCPT = 0x8
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NODATA = 0x200
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_DATA = 0x10000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000
SMFIP_HDR_LEADSPC = 0x100000

REPLY_MAX = 1 << 20
MSG_MAX = 4 << 20
CHUNK = 65535


class MilterError(Exception):
    pass


def parse_sock(spec):
    if spec.startswith('unix:') or spec.startswith('local:'):
        return socket.AF_UNIX, spec.split(':', 1)[1]
    if spec.startswith('inet:'):
        rest = spec[5:]
        if '@' in rest:
            port, host = rest.split('@', 1)
        else:
            host, port = rest.rsplit(':', 1)
        return socket.AF_INET, (host, int(port))
    raise SystemExit('bad milter address %r' % spec)


def load_message(path):
    """Headers as (name, value) with folds kept as "\\n", body in CRLF."""
    with open(path, 'rb') as f:
        raw = f.read(MSG_MAX + 1)
    if len(raw) > MSG_MAX:
        raise SystemExit('%s: message too large' % path)
    lines = raw.replace(b'\r\n', b'\n').split(b'\n')
    hdrs = []
    i = 0
    while i < len(lines) and lines[i] != b'':
        line = lines[i]
        if line[:1] in (b' ', b'\t') and hdrs:
            n, v = hdrs[-1]
            hdrs[-1] = (n, v + b'\n' + line)
        elif b':' in line:
            n, v = line.split(b':', 1)
            hdrs.append((n.rstrip(), v))
        i += 1
    body_lines = lines[i + 1:]
    if body_lines and body_lines[-1] == b'':
        body_lines = body_lines[:-1]
    body = b''.join(l + b'\r\n' for l in body_lines)
    return hdrs, body


class Conn:
    def __init__(self, spec, timeout):
        fam, addr = parse_sock(spec)
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        if fam != socket.AF_UNIX:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.connect(addr)
        self.buf = b''
        self.proto = 0
        self.step_max = 0.0

    def send(self, cmd, data=b''):
        self.s.sendall(struct.pack('>I', len(data) + 1) + cmd + data)

    def send_partial(self, cmd, data):
        """Half a packet: the length says more than what follows."""
        pkt = struct.pack('>I', len(data) + 1) + cmd + data
        self.s.sendall(pkt[:max(6, len(pkt) // 2)])

    def read(self):
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack('>I', self.buf[:4])[0]
                if n == 0 or n > REPLY_MAX:
                    raise MilterError('reply of %d bytes' % n)
                if len(self.buf) >= 4 + n:
                    cmd = self.buf[4:5]
                    data = self.buf[5:4 + n]
                    self.buf = self.buf[4 + n:]
                    return cmd, data
            r = self.s.recv(65536)
            if not r:
                raise MilterError('connection closed by the milter')
            self.buf += r
            if len(self.buf) > REPLY_MAX + 8:
                raise MilterError('reply too long')

    def step(self, cmd, data, nr_flag, skip_flag=0):
        """Send one step; the reply, or None when none is due."""
        if skip_flag and (self.proto & skip_flag):
            return None
        t0 = time.monotonic()
        self.send(cmd, data)
        if nr_flag and (self.proto & nr_flag):
            return None
        while True:
            c, d = self.read()
            if c != b'p':   # progress
                break
        self.step_max = max(self.step_max, time.monotonic() - t0)
        return c, d

    def close(self, rst=False):
        try:
            if rst:
                self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack('ii', 1, 0))
            self.s.close()
        except OSError:
            pass


def macro(conn, stage, pairs):
    data = stage
    for k, v in pairs:
        data += k.encode() + b'\0' + v.encode() + b'\0'
    conn.send(b'D', data)


def negotiate(conn, offer):
    prot = SMFI_CURR_PROT if offer == 'full' else 0
    conn.send(b'O', struct.pack('>III', 6, SMFI_CURR_ACTS, prot))
    c, d = conn.read()
    if c != b'O' or len(d) < 12:
        raise MilterError('bad reply %r to option negotiation' % c)
    ver, act, proto = struct.unpack('>III', d[:12])
    conn.proto = proto & prot


class Msg:
    def __init__(self, a, path):
        self.hdrs, self.body = load_message(path)
        self.client = a.client
        self.helo = a.helo
        self.mfrom = a.mail_from
        self.rcpt = a.rcpt


# The stages where a connection can be dropped, in protocol order.  A
# stage the milter negotiated away is still a point in the sequence.
def stages(msg):
    st = ['negotiate', 'connect', 'helo', 'mail', 'rcpt', 'data']
    st += ['header%d' % i for i in range(len(msg.hdrs))]
    st += ['eoh', 'body-partial', 'body-chunk', 'before-eom',
        'eom-unanswered', 'after-eom']
    return st


def run_message(conn, msg, qid, drop_at=None, rst=False):
    """One message; drop_at: stop there and drop the connection."""
    res = {'verdict': None, 'reply': None, 'changes': []}

    def drop(here):
        if drop_at == here:
            conn.close(rst)
            return True
        return False

    if drop('negotiate'):
        return res
    leadspc = conn.proto & SMFIP_HDR_LEADSPC
    ip = msg.client
    fam = b'6' if ':' in ip else b'4'
    if not conn.proto & SMFIP_NOCONNECT:
        macro(conn, b'C', [('j', 'mx.faults.example'),
            ('{daemon_name}', 'mx.faults.example'),
            ('{daemon_addr}', '127.0.0.1'), ('v', 'Postfix 3.7 (faults)'),
            ('_', '[%s] [%s]' % (ip, ip))])
    r = conn.step(b'C', b'[' + ip.encode() + b']\0' + fam +
        struct.pack('>H', 40000) + ip.encode() + b'\0', SMFIP_NR_CONN,
        SMFIP_NOCONNECT)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('connect'):
        return res
    r = conn.step(b'H', msg.helo.encode() + b'\0', SMFIP_NR_HELO,
        SMFIP_NOHELO)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('helo'):
        return res
    if not conn.proto & SMFIP_NOMAIL:
        macro(conn, b'M', [('i', qid), ('{mail_addr}', msg.mfrom)])
    r = conn.step(b'M', ('<%s>' % msg.mfrom).encode() + b'\0',
        SMFIP_NR_MAIL, SMFIP_NOMAIL)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('mail'):
        return res
    if not conn.proto & SMFIP_NORCPT:
        macro(conn, b'R', [('i', qid), ('{rcpt_addr}', msg.rcpt)])
    r = conn.step(b'R', ('<%s>' % msg.rcpt).encode() + b'\0',
        SMFIP_NR_RCPT, SMFIP_NORCPT)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('rcpt'):
        return res
    if not conn.proto & SMFIP_NODATA:
        macro(conn, b'T', [('i', qid)])
    r = conn.step(b'T', b'', SMFIP_NR_DATA, SMFIP_NODATA)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('data'):
        return res
    for i, (n, v) in enumerate(msg.hdrs):
        val = v
        if not leadspc and val[:1] == b' ':
            val = val[1:]
        r = conn.step(b'L', n + b'\0' + val + b'\0', SMFIP_NR_HDR,
            SMFIP_NOHDRS)
        if r is not None and r[0] != b'c':
            return final(res, r, conn)
        if drop('header%d' % i):
            return res
    if not conn.proto & SMFIP_NOEOH:
        macro(conn, b'N', [('i', qid)])
    r = conn.step(b'N', b'', SMFIP_NR_EOH, SMFIP_NOEOH)
    if r is not None and r[0] != b'c':
        return final(res, r, conn)
    if drop('eoh'):
        return res
    body = msg.body
    half = len(body) // 2
    chunks = [body[:half], body[half:]] if half else [body]
    for k, ch in enumerate(chunks):
        if k == 0 and drop_at == 'body-partial' and ch:
            conn.send_partial(b'B', ch)
            conn.close(rst)
            return res
        r = conn.step(b'B', ch, SMFIP_NR_BODY, SMFIP_NOBODY)
        if r is not None and r[0] not in (b'c', b's'):
            return final(res, r, conn)
        if k == 0 and drop('body-chunk'):
            return res
    if drop('before-eom'):
        return res
    macro(conn, b'E', [('i', qid)])
    t0 = time.monotonic()
    conn.send(b'E')
    if drop('eom-unanswered'):
        return res
    while True:
        c, d = conn.read()
        if c in (b'h', b'i', b'm', b'q'):
            res['changes'].append(change(c, d))
            continue
        if c == b'p':
            continue
        break
    conn.step_max = max(conn.step_max, time.monotonic() - t0)
    final(res, (c, d), conn)
    if drop('after-eom'):
        return res
    return res


def cstr(d):
    return d.split(b'\0', 1)[0].decode('utf-8', 'replace')


def change(c, d):
    if c == b'h':
        n, v = d.split(b'\0')[:2]
        return ['add', n.decode(), v.decode('utf-8', 'replace')]
    if c == b'q':
        return ['quarantine', cstr(d)]
    idx = struct.unpack('>I', d[:4])[0]
    n, v = d[4:].split(b'\0')[:2]
    return ['insert' if c == b'i' else 'change', idx, n.decode(),
        v.decode('utf-8', 'replace')]


def final(res, r, conn):
    c, d = r
    names = {b'a': 'accept', b'c': 'accept', b'r': 'reject',
        b't': 'tempfail', b'd': 'discard', b'f': 'conn_fail',
        b'4': 'shutdown'}
    if c == b'y':
        res['reply'] = cstr(d)
        res['verdict'] = {'4': 'tempfail', '5': 'reject'}.get(
            res['reply'][:1], 'other')
    else:
        res['verdict'] = names.get(c, 'other:%r' % c)
    if any(x[0] == 'quarantine' for x in res['changes']):
        res['verdict'] += '+quarantine'
    return res


def one(a, msg, qid, drop_at=None, rst=False, offer=None):
    t0 = time.monotonic()
    out = {'qid': qid}
    conn = None
    try:
        conn = Conn(a.milter, a.timeout)
        negotiate(conn, offer or a.offer)
        res = run_message(conn, msg, qid, drop_at, rst)
        out.update(res)
        if drop_at is None:
            conn.send(b'A')
            conn.send(b'Q')
            conn.close()
        out['step_max_ms'] = round(conn.step_max * 1000, 1)
    except (OSError, MilterError) as e:
        out['verdict'] = 'error'
        out['error'] = str(e)
        if conn is not None:
            conn.close()
    out['ms'] = round((time.monotonic() - t0) * 1000, 1)
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument('cmd', choices=['send', 'drops', 'storm'])
    p.add_argument('--milter', required=True)
    p.add_argument('--msg', required=True)
    p.add_argument('--client', default='192.0.2.10')
    p.add_argument('--helo', default='mx.sender.example')
    p.add_argument('--from', dest='mail_from', default='ceo@reject.example')
    p.add_argument('--rcpt', default='rcpt@dest.example')
    p.add_argument('--qid', default='FAULT')
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--offer', choices=['full', 'min'], default='full')
    p.add_argument('--timeout', type=float, default=30)
    p.add_argument('--pid', type=int, default=0)
    a = p.parse_args()
    if not 1 <= a.count <= 100000:
        raise SystemExit('--count out of range')
    msg = Msg(a, a.msg)

    if a.cmd == 'send':
        for i in range(a.count):
            qid = a.qid if a.count == 1 else '%s%05d' % (a.qid, i)
            print(json.dumps(one(a, msg, qid)), flush=True)
        return
    if a.cmd == 'drops':
        n = 0
        for offer in ('full', 'min'):
            for how in ('close', 'rst'):
                for st in stages(msg):
                    d = one(a, msg, 'DROP%04d' % n, st, how == 'rst', offer)
                    time.sleep(0.01)
                    ok = alive(a.pid) if a.pid else True
                    after = one(a, msg, 'AFTER%04d' % n, offer=offer)
                    print(json.dumps({'stage': st, 'how': how,
                        'offer': offer, 'drop': d.get('verdict'),
                        'drop_error': d.get('error'), 'alive': ok,
                        'after': after}), flush=True)
                    n += 1
        return
    # storm
    t0 = time.monotonic()
    st = stages(msg)
    errors = 0
    for i in range(a.count):
        d = one(a, msg, 'S%05d' % i, st[i % len(st)],
            (i // len(st)) % 2 == 1, 'full' if i % 3 else 'min')
        if d.get('verdict') == 'error':
            errors += 1
    print(json.dumps({'drops': a.count, 'errors': errors,
        'ms': round((time.monotonic() - t0) * 1000, 1)}), flush=True)


if __name__ == '__main__':
    main()
