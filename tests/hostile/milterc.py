#!/usr/bin/python3
"""milterc.py - send one message to a milter the way Postfix does, print
what the milter answered

    milterc.py --port PORT --message FILE [--client-ip IP] [--helo NAME]
               [--mail-from ADDR] [--rcpt ADDR] [--qid ID] [--timeout S]

Speaks milter protocol version 6 over TCP to 127.0.0.1:PORT, in the order
Postfix's milter8.c uses (contrib/bench/milter-bench.c does the same in C):
option negotiation (every action, every protocol flag of SMFI_CURR_PROT),
connect, HELO, MAIL, RCPT, each header as one SMFIC_HEADER, end of headers,
the body in chunks of at most 65535 bytes, end of message, then QUIT.
Steps the milter asked not to be sent (SMFIP_NO*) are skipped; steps it
does not answer (SMFIP_NR_*) are not waited for.  Macros: "i" (the queue
id) where the milter asked for it with SMFIR_SETSYMLIST, else at MAIL, end
of headers and end of message.

Unlike milter-bench, nothing is capped: a header is sent as one command
whatever its size, and bytes are sent as they are in FILE (a NUL in a
header name or value goes on the wire, where the C strings of the
protocol cut it), since the point is to send what a hostile or broken
MTA could.

FILE is a message as bytes: header lines up to the first empty line
(continuation lines start with a space or tab and are joined with "\\n",
as Postfix passes folded headers), then the body, sent with CRLF line
ends.  A header line without a colon is sent with an empty value.

Output, one item a line, bytes outside printable ASCII as \\xNN:
    result=accept|continue|reject|tempfail|discard|closed|timeout|error
    reply=CODE TEXT              (SMFIR_REPLYCODE)
    ms=N                         (MAIL to the final reply, milliseconds)
    ins=INDEX NAME: VALUE        (SMFIR_INSHEADER)
    add=NAME: VALUE              (SMFIR_ADDHEADER)
    chg=INDEX NAME: VALUE        (SMFIR_CHGHEADER; an empty VALUE deletes)
    quarantine=REASON            (SMFIR_QUARANTINE)
    other=C                      (any other modification)
    error=TEXT
Exit status 0 when a final reply came, 1 otherwise.
"""

import argparse
import socket
import struct
import sys
import time

VERSION = 6
SMFI_CURR_ACTS = 0x1FF
SMFI_CURR_PROT = 0x1FFFFF
NOCONNECT, NOHELO, NOMAIL, NORCPT = 0x1, 0x2, 0x4, 0x8
NOBODY, NOHDRS, NOEOH, NR_HDR = 0x10, 0x20, 0x40, 0x80
NODATA = 0x200
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
NR_DATA, NR_EOH, NR_BODY = 0x10000, 0x40000, 0x80000
HDR_LEADSPC = 0x100000
CHUNK = 65535
# macro stages, numbered as on the wire (SMFIM_*)
ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_EOH = range(7)
FINAL = {b'a': 'accept', b'c': 'continue', b'r': 'reject', b't': 'tempfail',
         b'd': 'discard', b's': 'skip'}


class Closed(Exception):
    pass


def clean(b):
    """bytes -> one printable line"""
    out = []
    for c in b:
        if c == 0x5c:
            out.append('\\\\')
        elif 0x20 <= c < 0x7f:
            out.append(chr(c))
        else:
            out.append('\\x%02x' % c)
    return ''.join(out)


def read_message(path):
    with open(path, 'rb') as f:
        data = f.read()
    data = data.replace(b'\r\n', b'\n')
    cut = data.find(b'\n\n')
    if cut == -1:
        head, body = data, b''
    else:
        head, body = data[:cut], data[cut + 2:]
    headers = []
    for line in head.split(b'\n') if head else []:
        if line[:1] in (b' ', b'\t') and headers:
            n, v = headers[-1]
            headers[-1] = (n, v + b'\n' + line)
            continue
        i = line.find(b':')
        if i == -1:
            headers.append((line, b''))
        else:
            headers.append((line[:i], line[i + 1:]))
    body = body.replace(b'\n', b'\r\n')
    return headers, body


class Milter:
    def __init__(self, port, timeout):
        self.s = socket.create_connection(('127.0.0.1', port), timeout)
        self.s.settimeout(timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = []
        self.symlist = {}
        self.proto = 0

    def queue(self, cmd, data=b''):
        self.pending.append(struct.pack('>I', len(data) + 1) + cmd + data)

    def flush(self):
        if self.pending:
            try:
                self.s.sendall(b''.join(self.pending))
            except (BrokenPipeError, ConnectionResetError) as e:
                raise Closed(str(e))
            self.pending = []

    def recvn(self, n):
        buf = b''
        while len(buf) < n:
            try:
                got = self.s.recv(n - len(buf))
            except ConnectionResetError as e:
                raise Closed(str(e))
            if not got:
                raise Closed('connection closed by the milter')
            buf += got
        return buf

    def reply(self):
        self.flush()
        n = struct.unpack('>I', self.recvn(4))[0]
        if n < 1 or n > 64 << 20:
            raise Closed('bad reply length %d' % n)
        d = self.recvn(n)
        return d[:1], d[1:]

    def negotiate(self):
        self.queue(b'O', struct.pack('>III', VERSION, SMFI_CURR_ACTS,
                                     SMFI_CURR_PROT))
        cmd, d = self.reply()
        if cmd != b'O' or len(d) < 12:
            raise Closed('bad negotiation reply %r' % cmd)
        _, _, self.proto = struct.unpack('>III', d[:12])
        self.proto &= SMFI_CURR_PROT
        d = d[12:]
        while len(d) >= 5:
            st = struct.unpack('>I', d[:4])[0]
            nul = d.index(b'\0', 4)
            self.symlist[st] = d[4:nul].split()
            d = d[nul + 1:]

    def macros(self, stage, cmd, values):
        if self.symlist:
            want = self.symlist.get(stage, [])
            values = [(k, v) for k, v in values if k in want]
        if values:
            self.queue(b'D', cmd + b''.join(k + b'\0' + v + b'\0'
                                            for k, v in values))

    def step(self, cmd, data, nosend, noreply):
        """one protocol step; None to go on, or a final reply name"""
        if self.proto & nosend:
            return None
        self.queue(cmd, data)
        if self.proto & noreply:
            return None
        c, d = self.reply()
        while c == b'p':  # progress
            c, d = self.reply()
        if c == b'c':
            return None
        return final(c, d)


def final(c, d):
    if c == b'y':
        code = d.rstrip(b'\0')
        print('reply=' + clean(code))
        return 'reject' if code[:1] == b'5' else \
            'tempfail' if code[:1] == b'4' else 'other'
    return FINAL.get(c, 'unknown-' + clean(c))


def mods_until_final(m):
    while True:
        c, d = m.reply()
        if c in (b'h', b'i', b'm'):
            idx = None
            if c != b'h':
                idx = struct.unpack('>I', d[:4])[0]
                d = d[4:]
            parts = d.split(b'\0')
            name, val = parts[0], parts[1] if len(parts) > 1 else b''
            if c == b'h':
                print('add=%s: %s' % (clean(name), clean(val)))
            elif c == b'i':
                print('ins=%d %s: %s' % (idx, clean(name), clean(val)))
            else:
                print('chg=%d %s: %s' % (idx, clean(name), clean(val)))
        elif c == b'q':
            print('quarantine=' + clean(d.rstrip(b'\0')))
        elif c == b'p':
            pass
        elif c in FINAL or c == b'y':
            return final(c, d)
        else:
            print('other=' + clean(c))


def run(a):
    headers, body = read_message(a.message)
    qid = a.qid.encode()
    m = Milter(a.port, a.timeout)
    m.negotiate()
    af = b'6' if ':' in a.client_ip else b'4'
    m.macros(ST_CONNECT, b'C', [(b'j', b'mx.hostile.example'),
                                (b'{daemon_name}', b'smtpd'),
                                (b'v', b'Postfix')])
    r = m.step(b'C', b'client.hostile.example\0' + af + b'\x00\x19' +
               a.client_ip.encode() + b'\0', NOCONNECT, NR_CONN)
    if r:
        return r, None
    r = m.step(b'H', a.helo.encode('utf-8', 'surrogateescape') + b'\0',
               NOHELO, NR_HELO)
    if r:
        return r, None
    t0 = time.monotonic()
    m.macros(ST_MAIL, b'M', [(b'i', qid), (b'{auth_authen}', b''),
                             (b'{mail_addr}', b'')])
    r = m.step(b'M', a.mail_from.encode('utf-8', 'surrogateescape') + b'\0',
               NOMAIL, NR_MAIL)
    if r:
        return r, t0
    m.macros(ST_RCPT, b'R', [(b'i', qid)])
    r = m.step(b'R', a.rcpt.encode() + b'\0', NORCPT, NR_RCPT)
    if r:
        return r, t0
    for name, val in headers:
        if not (m.proto & HDR_LEADSPC) and val[:1] == b' ':
            val = val[1:]  # Postfix eats one space after the colon
        r = m.step(b'L', name + b'\0' + val + b'\0', NOHDRS, NR_HDR)
        if r:
            return r, t0
    m.macros(ST_EOH, b'N', [(b'i', qid)])
    r = m.step(b'N', b'', NOEOH, NR_EOH)
    if r:
        return r, t0
    for i in range(0, len(body), CHUNK):
        r = m.step(b'B', body[i:i + CHUNK], NOBODY, NR_BODY)
        if r == 'skip':
            break
        if r:
            return r, t0
    m.macros(ST_EOM, b'E', [(b'i', qid)])
    m.queue(b'E')
    r = mods_until_final(m)
    ms = int((time.monotonic() - t0) * 1000)
    try:
        m.queue(b'Q')
        m.flush()
        m.s.close()
    except (OSError, Closed):
        pass
    return r, ms


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--message', required=True)
    p.add_argument('--client-ip', default='192.0.2.10')
    p.add_argument('--helo', default='mta.sender.example')
    p.add_argument('--mail-from', default='<>')
    p.add_argument('--rcpt', default='<rcpt@dest.example>')
    p.add_argument('--qid', default='HOSTILE')
    p.add_argument('--timeout', type=float, default=30)
    a = p.parse_args()
    # the envelope may carry 8-bit bytes: take argv as the shell gave it
    t0 = time.monotonic()
    try:
        r, ms = run(a)
    except Closed as e:
        print('result=closed')
        print('error=' + clean(str(e).encode()))
        print('ms=%d' % int((time.monotonic() - t0) * 1000))
        return 1
    except socket.timeout:
        print('result=timeout')
        print('ms=%d' % int((time.monotonic() - t0) * 1000))
        return 1
    except OSError as e:
        print('result=error')
        print('error=' + clean(str(e).encode()))
        return 1
    print('result=' + r)
    if isinstance(ms, int):
        print('ms=%d' % ms)
    else:
        print('ms=%d' % int((time.monotonic() - t0) * 1000))
    return 0


if __name__ == '__main__':
    sys.exit(main())
