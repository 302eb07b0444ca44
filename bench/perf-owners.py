#!/usr/bin/env python3
"""Samples of `perf record -g` by owner: `perf-owners.py PERF_DATA SERVER_PID [REQUESTS]`
(bench/perf-route.ts; `-v` lists the stacks with no owner, `-f` the owning frames that took most). Each sample goes to the first frame, from the top of its stack, that has
an owner: the kernel (by the system call it serves, named by the user-space frame that made
it), SQLite, better-sqlite3's binding, OpenSSL, V8's GC, llhttp, node's JavaScript, a package's
JavaScript, or our own (dist/). Frames with no owner (V8's builtins and runtime, libc, node's
C++, IC stubs) hand the sample to the frame below them. Samples of other processes (a system-wide
record) are counted by command: PostgreSQL's backends, the load generator."""
import re
import subprocess
import sys
from collections import Counter, defaultdict

data, server_pid = sys.argv[1], sys.argv[2]
requests = float(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith('-') else 0
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,pid,tid,period,ip,sym,dso'],
                     capture_output=True, text=True, errors='replace').stdout

PKG = {'kysely': 'Kysely', 'zod': 'zod', 'fastify-type-provider-zod': 'zod', 'pino': 'pino',
       'sonic-boom': 'pino', 'prom-client': 'prom-client', 'better-sqlite3': 'better-sqlite3 (JS)'}
SQLITE = re.compile(r'^(sqlite3|pager|btree|vdbe|wal|unix|pcache|balance|insertCell|dropCell|fillInCell|getAndInitPage|'
                    r'allocateSpace|moveTo|findCell|decodeFlags|cellSize|computeCellSize|accessPayload|freePage|'
                    r'allocateBtreePage|clearCell|defragmentPage|editPage|rebuildPage|assemblePage|page|populateCellCache|'
                    r'yy|resolve|exprAnalyze|whereLoop|codeOneLoop|memjrnl|rowSet|bitvec|setSharedCacheTableLock|'
                    r'checkList|getCellInfo|releasePage|saveCursor|restoreCursor|ptrmap|btree|copyNodeContent|handleDeferredMoveto|'
                    r'serialGet|vdbeRecord|sqlite|isDate|applyAffinity|numericType|robust_|posixUnlock|fileHasMoved|seekAndWrite|'
                    r'walIndex|walFrames|walWrite|walCheckpoint|walTry|walLock|walUnlock)')


def owner(sym, dso):
    if dso.startswith('[kernel'):
        return 'kernel'
    if 'better_sqlite3' in dso:
        return 'SQLite' if SQLITE.match(sym) or '::' not in sym else 'better-sqlite3 (C++)'
    if re.match(r'(SHA256|sha256|HMAC|EVP_|ossl_|OPENSSL|CRYPTO_|int_update|md_|hmac_)', sym) or 'libcrypto' in dso:
        return 'OpenSSL'
    if re.search(r'Heap::|Scavenger|MarkCompact|Sweeper|Marking|Evacuat|GCTracer|ConcurrentMarking|MinorMC|'
                 r'PagedSpace|NewSpace|MemoryAllocator|ObjectVisitor|BodyDescriptor|RememberedSet|SlotSet', sym):
        return 'V8 GC'
    if 'llhttp' in sym:
        return 'node (llhttp)'
    m = re.search(r'(file://)?(/\S+|node:\S+):\d+(:\d+)?$', sym)
    if m and (sym.startswith('JS:') or sym.startswith('LazyCompile') or sym.startswith('Function') or '*' in sym[:6] or '~' in sym[:6]
              or sym.startswith('^') or sym.startswith('+')):
        p = m.group(2)
        if '/dist/' in p and 'node_modules' not in p:
            return 'ours'
        if 'node_modules/' in p:
            parts = p.split('node_modules/')[-1].split('/')
            pkg = parts[0] + '/' + parts[1] if parts[0].startswith('@') else parts[0]
            return PKG.get(pkg, 'Fastify and other packages')
        if p.startswith('node:'):
            return 'node (JS)'
        return 'other JS'
    return None


samples = Counter()
kernel_by = Counter()
threads = Counter()
others = Counter()
unowned = Counter()
by_frame = Counter()
total = 0
lines = out.split('\n')
i = 0
head = re.compile(r'^\s*(\S.*?)\s+(\d+)/(\d+)\s+(\d+)\s*$')
while i < len(lines):
    line = lines[i]
    m = head.match(line)
    if not m:
        i += 1
        continue
    comm, pid, tid, period = m.group(1), m.group(2), m.group(3), int(m.group(4))
    frames = []
    i += 1
    while i < len(lines) and lines[i].strip():
        fm = re.match(r'^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$', lines[i])
        if fm:
            sym = re.sub(r'\+0x[0-9a-f]+$', '', fm.group(2))
            frames.append((sym, fm.group(3)))
        i += 1
    total += 1
    if pid != server_pid:
        others['PostgreSQL backends' if comm.startswith('postgres') else comm] += 1
        continue
    threads['event loop' if pid == tid else comm] += 1
    got = None
    if pid != tid:
        # another thread of the server: libuv's pool (the WAL's fdatasync, the log's writes) or V8's workers
        kernel = bool(frames) and frames[0][1].startswith('[kernel')
        gc = any(owner(s_, d_) == 'V8 GC' for s_, d_ in frames)
        what = 'kernel' if kernel else 'V8 GC' if gc else 'user'
        samples[f'other threads ({comm}): {what}'] += 1
        if kernel:
            kernel_by[next((s_ for s_, d_ in frames if not d_.startswith('[kernel')), '?') + ' (other thread)'] += 1
        continue
    for k, (sym, dso) in enumerate(frames):
        o = owner(sym, dso)
        if o == 'kernel':
            # the system call: the first user-space frame's symbol
            user = next((s for s, d in frames[k:] if not d.startswith('[kernel')), '?')
            kernel_by[user] += 1
            got = 'kernel'
            break
        if o:
            got = o
            by_frame[f'{o}: {sym}'] += 1
            break
    if not got:
        unowned[' < '.join(s_ for s_, d_ in frames[:4])] += 1
    samples[got or 'event loop: runtime, no owner on the stack'] += 1

mine = sum(samples.values())
print(f'{total} samples, {mine} of the server process; per thread: ' + ', '.join(f'{k} {v}' for k, v in threads.most_common(6)))
for k, v in samples.most_common():
    per = f'  {v * 1e6 / 999 / requests:6.1f} µs/request' if requests else ''
    print(f'{100 * v / mine:5.1f}%{per}  {k}')
print('kernel, by the user-space call that entered it: ' + ', '.join(f'{k} {100 * v / mine:.1f}%' for k, v in kernel_by.most_common(10)))
if '-v' in sys.argv:
    for k, v in unowned.most_common(15):
        print(f'  unowned {v}: {k[:200]}')
if '-f' in sys.argv:
    for k, v in by_frame.most_common(40):
        per = f'{v * 1e6 / 999 / requests:6.2f} µs/request' if requests else f'{v:6d}'
        print(f'  {per}  {k[:160]}')
if others:
    print('other processes: ' + ', '.join(f'{k} {v}' for k, v in others.most_common(8)))
