#!/usr/bin/python3
"""Reads `perf script -F comm,tid,time,event,trace` of a mc-bench-gateway run (bench/call-stages.sh)
and prints the median time of each stage of a tool call over Streamable HTTP.

A call is the chain of system calls that hands it on, matched in time order by thread name:
  host:   client send -> host loop receive -> host POST send -> server read -> server write of the
          answer -> host receive of it -> host reply send -> client receive
  direct: client send -> server read -> server write -> client receive
The first tenth of the calls (warm-up) is left out."""
import argparse
import re
import statistics
import sys

STAGES = {
    'host': [('client sends', 'mc-bench-gatewa', 'sys_enter_sendto'),
             ('host loop has the request', 'mc-http-0', 'sys_exit_recvfrom'),
             ('host sends the POST', 'mc-http-0', 'sys_enter_sendto'),
             ('server has the POST', 'node', 'sys_exit_read'),
             ('server writes the answer', 'node', 'sys_enter_writev'),
             ('host has the answer', 'http-post', 'sys_exit_recvfrom'),
             ('host sends the reply', 'http-post', 'sys_enter_sendto'),
             ('client has the reply', 'mc-bench-gatewa', 'sys_exit_recvfrom')],
    'direct': [('client sends', 'mc-bench-gatewa', 'sys_enter_sendto'),
               ('server has the POST', 'node', 'sys_exit_read'),
               ('server writes the answer', 'node', 'sys_enter_writev'),
               ('client has the reply', 'mc-bench-gatewa', 'sys_exit_recvfrom')],
}
LINE = re.compile(r'\s*(.+?)\s+(\d+)\s+([\d.]+):\s+syscalls:(\S+):\s*(.*)')


def events(path):
    out = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            comm, _tid, seconds, name, rest = m.groups()
            result = None
            if name.startswith('sys_exit'):
                result = int(rest.strip(), 16)
                if result >= 1 << 63:
                    result -= 1 << 64
            out.append((float(seconds) * 1e6, comm.strip(), name, result))
    out.sort()
    return out


def calls(stream, stages):
    found, current = [], None
    for micros, comm, name, result in stream:
        if (comm, name) == stages[0][1:]:
            if current and len(current) == len(stages):
                found.append(current)
            current = [micros]
            continue
        if current is None or len(current) == len(stages):
            continue
        if (comm, name) == stages[len(current)][1:] and (result is None or result > 0):
            current.append(micros)
    if current and len(current) == len(stages):
        found.append(current)
    return found[len(found) // 10:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--way', choices=sorted(STAGES), default='host')
    parser.add_argument('events')
    args = parser.parse_args()
    stages = STAGES[args.way]
    found = calls(events(args.events), stages)
    if not found:
        sys.exit('call_stages.py: no complete call found (was the way run, with these thread names?)')
    print(f'{len(found)} calls ({args.way}); median of each stage:')
    for i in range(1, len(stages)):
        gap = statistics.median(c[i] - c[i - 1] for c in found)
        print(f'  {stages[i - 1][0]:>26} -> {stages[i][0]:<26} {gap:7.0f} us')
    print(f'  {"whole call":>26}    {"":<26} {statistics.median(c[-1] - c[0] for c in found):7.0f} us')


if __name__ == '__main__':
    main()
