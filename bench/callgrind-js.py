#!/usr/bin/env python3
"""Names the JIT code in a callgrind dump of node: `python3 bench/callgrind-js.py DUMP PERF_MAP > OUT`.

Callgrind names code it has no symbol for by its address (`0x000000000d199840`). With node
started with `--perf-basic-prof`, V8 writes /tmp/perf-<pid>.map (start, size, name of each
compiled function); this rewrites every such address to `JS:<name>` of the function that
contains it, so `callgrind_annotate --inclusive=yes OUT` shows our JavaScript by name
(bench/count-metered.ts with PERF_MAP=1).
"""
import bisect
import re
import sys

dump, perf_map = sys.argv[1], sys.argv[2]
starts, ends, names = [], [], []
entries = []
with open(perf_map) as f:
    for line in f:
        parts = line.rstrip('\n').split(' ', 2)
        if len(parts) < 3:
            continue
        entries.append((int(parts[0], 16), len(entries), int(parts[1], 16), parts[2]))
# By address, then by the order V8 wrote them: of two entries at one address (its code space
# reused after a collection), the later one is last and wins the lookup below.
entries.sort()
for s, _, n, name in entries:
    starts.append(s)
    ends.append(s + n)
    names.append(name)


def name_of(addr):
    i = bisect.bisect_right(starts, addr) - 1
    # The last function compiled at an address is the one that ran there (code may be moved).
    if i >= 0 and addr < ends[i]:
        return 'JS:' + names[i].replace(' ', '_')
    return None


pat = re.compile(r'^((?:c?fn)=\(\d+\)) 0x([0-9a-f]+)$')
with open(dump) as f:
    for line in f:
        m = pat.match(line.rstrip('\n'))
        if m:
            n = name_of(int(m.group(2), 16))
            if n:
                sys.stdout.write(f'{m.group(1)} {n}\n')
                continue
        sys.stdout.write(line)
