#!/usr/bin/python3
"""dnsfake.py - a broken DNS server on loopback, for the fault tests

    dnsfake.py MODE PORT [--lifetime SECONDS]

Listens on 127.0.0.1:PORT, UDP and TCP.  MODE:
  blackhole  reads every query and never answers (TCP connections are
             accepted, read and held open): the asker times out
  servfail   answers every query with RCODE 2 (SERVFAIL)
  refused    answers every query with RCODE 5 (REFUSED)

An answer is the query's header and question with QR set, RA set and the
RCODE (RFC 1035 4.1.1), no records.  Counts what it saw on stderr when it
stops.  Bounded: at most 64 TCP connections (the oldest is closed), 64 KiB
buffered per connection, and it exits by itself after --lifetime seconds
(default 600).
"""

import select
import signal
import socket
import struct
import sys
import time

TCP_MAX = 64
BUF_MAX = 65536


def answer(q, rcode):
    """The reply to query q, or None when q is not a query."""
    if len(q) < 12:
        return None
    qid, flags, qd = struct.unpack('>HHH', q[:6])
    if flags & 0x8000:  # a response: never answer those
        return None
    # the question: QDCOUNT 1 is all anyone sends
    end = 12
    if qd >= 1:
        while end < len(q) and q[end] != 0:
            if q[end] & 0xC0:
                return None
            end += 1 + q[end]
        end += 1 + 4
        if end > len(q):
            return None
        qd = 1
    opcode = flags & 0x7800
    rd = flags & 0x0100
    hdr = struct.pack('>HHHHHH', qid, 0x8000 | opcode | rd | 0x0080 |
        rcode, qd, 0, 0, 0)
    return hdr + q[12:end]


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    lifetime = 600.0
    if len(sys.argv) > 4 and sys.argv[3] == '--lifetime':
        lifetime = float(sys.argv[4])
    rcode = {'blackhole': None, 'servfail': 2, 'refused': 5}[mode]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(('127.0.0.1', port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(('127.0.0.1', port))
    tcp.listen(16)
    conns = {}  # socket -> buffer
    seen = {'udp': 0, 'tcp': 0}
    end = time.monotonic() + lifetime
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(udp, tcp, conns, seen, rcode, end)
    finally:
        sys.stderr.write('dnsfake %s: %d UDP and %d TCP queries\n' %
            (mode, seen['udp'], seen['tcp']))


def serve(udp, tcp, conns, seen, rcode, end):
    while time.monotonic() < end:
        rl = [udp, tcp] + list(conns)
        r, _, _ = select.select(rl, [], [], 1.0)
        for s in r:
            if s is udp:
                q, peer = udp.recvfrom(BUF_MAX)
                seen['udp'] += 1
                if rcode is not None:
                    a = answer(q, rcode)
                    if a is not None:
                        udp.sendto(a, peer)
            elif s is tcp:
                c, _ = tcp.accept()
                if len(conns) >= TCP_MAX:
                    old = next(iter(conns))
                    old.close()
                    del conns[old]
                conns[c] = b''
            else:
                try:
                    d = s.recv(BUF_MAX)
                except OSError:
                    d = b''
                if not d:
                    s.close()
                    del conns[s]
                    continue
                buf = conns[s] + d
                while len(buf) >= 2:
                    n = struct.unpack('>H', buf[:2])[0]
                    if len(buf) < 2 + n:
                        break
                    seen['tcp'] += 1
                    q, buf = buf[2:2 + n], buf[2 + n:]
                    if rcode is not None:
                        a = answer(q, rcode)
                        if a is not None:
                            try:
                                s.sendall(struct.pack('>H', len(a)) + a)
                            except OSError:
                                pass
                conns[s] = buf[-BUF_MAX:]


if __name__ == '__main__':
    main()
