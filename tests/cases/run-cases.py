#!/usr/bin/python3
"""run-cases.py - run the dmarcctl eval corpus and compare with expect.json

    run-cases.py [--dmarcctl PATH] [-v] [CASE...]

Each CASE is a directory name under tests/cases/ (e.g. 001-p-none-pass, or
just its number 001) or a path to a case directory; without CASE every
NNN-name directory is run.  For each case the command

    dmarcctl eval --json --dns-zone CASE/zone --authserv-id mx.test.example
        [--config CASE/config] ARGS... CASE/message.eml

runs without a shell (ARGS: CASE/args, one argument a line; an empty line
is an empty argument).  expect.json is a partial expectation:

  - every key present must match the JSON output: objects recursively,
    arrays element by element (same length, same order), scalars equal;
  - "_ar_contains": substrings the "authentication_results" value must hold;
  - "_absent": dotted key paths that must not be in the output;
  - "_exit": the expected exit status (default 0).  For a non-zero status
    only the status and a non-empty stderr are checked.

Output: "ok NAME", or one "FAIL NAME: key path: got X, want Y" line per
difference; the last line is "N passed, N failed".  Exit 1 if any failed.

Environment: DMARCCTL (the binary, default ../../tools/dmarcctl from this
directory), CASES_WRAPPER (a command prefix such as "valgrind -q
--error-exitcode=99", split on blanks).
"""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AUTHSERV_ID = 'mx.test.example'
TIMEOUT = 120  # seconds per case; generous for valgrind runs
SPECIAL = ('_ar_contains', '_absent', '_exit')


class Raw(str):
    """A want that is a description, shown as is."""


def show(v):
    if v is MISSING:
        return '(absent)'
    if isinstance(v, Raw):
        return str(v)
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 200 else s[:200] + '...'


class Missing:
    pass


MISSING = Missing()


def compare(path, got, want, diffs):
    """Append (path, got, want) for every place got does not match want."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            diffs.append((path, got, want))
            return
        for k, v in want.items():
            if path == '' and k in SPECIAL:
                continue
            sub = k if path == '' else path + '.' + k
            compare(sub, got.get(k, MISSING), v, diffs)
    elif isinstance(want, list):
        if not isinstance(got, list):
            diffs.append((path, got, want))
            return
        if len(got) != len(want):
            diffs.append((path + ' (length)', len(got), len(want)))
            return
        for i, (g, w) in enumerate(zip(got, want)):
            compare('%s[%d]' % (path, i), g, w, diffs)
    else:
        # bool is an int in Python: compare types too
        if got is MISSING or type(got) is not type(want) or got != want:
            diffs.append((path, got, want))


def lookup(obj, path):
    for k in path.split('.'):
        if not isinstance(obj, dict) or k not in obj:
            return MISSING
        obj = obj[k]
    return obj


def read_args(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        text = f.read()
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()  # the newline that ends the last line
    return [l.rstrip('\r') for l in lines]


def run_case(dmarcctl, wrapper, cdir, verbose):
    """Return a list of failure messages (empty: the case passed)."""
    name = os.path.basename(os.path.normpath(cdir))
    try:
        with open(os.path.join(cdir, 'expect.json'), encoding='utf-8') as f:
            want = json.load(f)
    except (OSError, ValueError) as e:
        return ['expect.json: %s' % e]
    cmd = wrapper + [dmarcctl, 'eval', '--json', '--dns-zone',
        os.path.join(cdir, 'zone'), '--authserv-id', AUTHSERV_ID]
    if os.path.exists(os.path.join(cdir, 'config')):
        cmd += ['--config', os.path.join(cdir, 'config')]
    cmd += read_args(os.path.join(cdir, 'args'))
    cmd.append(os.path.join(cdir, 'message.eml'))
    if verbose:
        print('# %s: %s' % (name, ' '.join(repr(c) if c == '' or ' ' in c
            else c for c in cmd)))
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return ['timeout after %d s' % TIMEOUT]
    except OSError as e:
        return ['cannot run %s: %s' % (cmd[0], e)]
    stderr = p.stderr.decode('utf-8', 'replace').strip()
    if verbose and stderr:
        print('# stderr: %s' % stderr.replace('\n', '\n# stderr: '))
    wexit = want.get('_exit', 0)
    if p.returncode != wexit:
        why = 'exit: got %d, want %d' % (p.returncode, wexit)
        if stderr:
            why += ' (stderr: %s)' % stderr.splitlines()[-1][:200]
        return [why]
    if wexit != 0:
        return [] if stderr else ['stderr: got nothing, want a message']
    try:
        got = json.loads(p.stdout.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        return ['output: not one JSON object (%s): %s'
            % (e, show(p.stdout.decode('utf-8', 'replace')))]
    diffs = []
    compare('', got, want, diffs)
    ar = got.get('authentication_results') if isinstance(got, dict) \
        else None
    for sub in want.get('_ar_contains', []):
        if not isinstance(ar, str) or sub not in ar:
            diffs.append(('authentication_results',
                ar if ar is not None else MISSING,
                Raw('a value containing ' + show(sub))))
    for path in want.get('_absent', []):
        v = lookup(got, path)
        if v is not MISSING:
            diffs.append((path, v, Raw('(absent)')))
    return ['%s: got %s, want %s' % (path, show(g), show(w))
        for path, g, w in diffs]


def find_cases(names):
    all_cases = sorted(e for e in os.listdir(HERE)
        if re.match(r'\d{3}-', e) and os.path.isdir(os.path.join(HERE, e)))
    if not names:
        return [os.path.join(HERE, c) for c in all_cases]
    out = []
    for n in names:
        if os.path.isdir(n):
            out.append(n)
            continue
        hits = [c for c in all_cases if c == n or c.startswith(n + '-')]
        if len(hits) != 1:
            raise SystemExit('run-cases: no single case named "%s"' % n)
        out.append(os.path.join(HERE, hits[0]))
    return out


def main(argv):
    dmarcctl = os.environ.get('DMARCCTL',
        os.path.join(HERE, '..', '..', 'tools', 'dmarcctl'))
    verbose = False
    names = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == '--dmarcctl' and i + 1 < len(argv):
            dmarcctl = argv[i + 1]
            i += 1
        elif a == '-v':
            verbose = True
        elif a.startswith('-'):
            print('usage: run-cases.py [--dmarcctl PATH] [-v] [CASE...]',
                file=sys.stderr)
            return 2
        else:
            names.append(a)
        i += 1
    if not os.access(dmarcctl, os.X_OK):
        print('run-cases: %s: not an executable' % dmarcctl,
            file=sys.stderr)
        return 2
    wrapper = os.environ.get('CASES_WRAPPER', '').split()
    npass = nfail = 0
    for cdir in find_cases(names):
        name = os.path.basename(os.path.normpath(cdir))
        fails = run_case(dmarcctl, wrapper, cdir, verbose)
        if fails:
            nfail += 1
            for f in fails:
                print('FAIL %s: %s' % (name, f))
        else:
            npass += 1
            print('ok %s' % name)
        sys.stdout.flush()
    print('%d passed, %d failed' % (npass, nfail))
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
