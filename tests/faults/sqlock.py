#!/usr/bin/python3
"""sqlock.py - hold an SQLite database's write lock, for the fault tests

    sqlock.py DB READY-FILE STOP-FILE [SECONDS]

Opens DB, takes the write lock (BEGIN EXCLUSIVE: in WAL mode every other
writer then gets SQLITE_BUSY, readers go on), creates READY-FILE, and
holds the lock until STOP-FILE exists or SECONDS (default 60) have
passed; then rolls back and exits.
"""

import os
import sqlite3
import sys
import time


def main():
    db, ready, stop = sys.argv[1:4]
    secs = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    c = sqlite3.connect(db, timeout=5, isolation_level=None)
    c.execute('BEGIN EXCLUSIVE')
    open(ready, 'w').close()
    end = time.monotonic() + secs
    while not os.path.exists(stop) and time.monotonic() < end:
        time.sleep(0.05)
    c.execute('ROLLBACK')
    c.close()


if __name__ == '__main__':
    main()
