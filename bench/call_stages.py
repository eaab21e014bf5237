#!/usr/bin/python3
"""Reads `perf script -F comm,tid,cpu,time,event,trace` of a mc-bench-gateway run (bench/call-stages.sh)
and prints the median time of each stage of a tool call over Streamable HTTP, then each hand-over split
by whether the two threads ran on the same CPU (waking a thread on another, idle CPU costs more, most
on a virtual machine whose idle vCPUs halt), and how long a sending thread runs on after a send (a
thread woken on its CPU waits for it).

A call is the chain of system calls that hands it on, matched in time order by thread name:
  host:   client send -> host loop receive -> host POST send -> server read -> server write of the
          answer -> host receive of it -> host reply send -> client receive
  direct: client send -> server read -> server write -> client receive
The first tenth of the calls (warm-up) is left out."""
import argparse
import bisect
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
LINE = re.compile(r'\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(syscalls|sched):(\S+):\s*(.*)')
SWITCH_OUT = re.compile(r'prev_pid=(\d+) .*prev_state=[SD]')


def events(path):
    """The system calls as (us, comm, name, result, cpu, tid), and for each thread the times it blocked."""
    out, blocked = [], {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            comm, tid, cpu, seconds, group, name, rest = m.groups()
            micros = float(seconds) * 1e6
            if group == 'sched':
                switched = SWITCH_OUT.search(rest) if name == 'sched_switch' else None
                if switched:
                    blocked.setdefault(int(switched.group(1)), []).append(micros)
                continue
            result = None
            if name.startswith('sys_exit'):
                result = int(rest.strip(), 16)
                if result >= 1 << 63:
                    result -= 1 << 64
            out.append((micros, comm.strip(), name, result, int(cpu), int(tid)))
    out.sort()
    for times in blocked.values():
        times.sort()
    return out, blocked


def calls(stream, stages):
    """Each complete call as its stages' events, (us, cpu, tid) each."""
    found, current = [], None
    for micros, comm, name, result, cpu, tid in stream:
        if (comm, name) == stages[0][1:]:
            if current and len(current) == len(stages):
                found.append(current)
            current = [(micros, cpu, tid)]
            continue
        if current is None or len(current) == len(stages):
            continue
        if (comm, name) == stages[len(current)][1:] and (result is None or result > 0):
            current.append((micros, cpu, tid))
    if current and len(current) == len(stages):
        found.append(current)
    return found[len(found) // 10:]


def runs_on(blocked, tid, since):
    """How long thread `tid` ran on after `since` before it blocked (None: not seen blocking)."""
    times = blocked.get(tid, [])
    i = bisect.bisect_right(times, since)
    return times[i] - since if i < len(times) else None


def median(values):
    return f'{statistics.median(values):5.0f} us' if values else '     -   '


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--way', choices=sorted(STAGES), default='host')
    parser.add_argument('events')
    args = parser.parse_args()
    stages = STAGES[args.way]
    stream, blocked = events(args.events)
    found = calls(stream, stages)
    if not found:
        sys.exit('call_stages.py: no complete call found (was the way run, with these thread names?)')
    print(f'{len(found)} calls ({args.way}); median of each stage:')
    for i in range(1, len(stages)):
        gap = statistics.median(c[i][0] - c[i - 1][0] for c in found)
        print(f'  {stages[i - 1][0]:>26} -> {stages[i][0]:<26} {gap:7.0f} us')
    print(f'  {"whole call":>26}    {"":<26} {statistics.median(c[-1][0] - c[0][0] for c in found):7.0f} us')
    print('hand-overs between threads, by CPU (calls, median), and how long the sender ran on after its send:')
    for i in range(1, len(stages)):
        if stages[i][1] == stages[i - 1][1]:
            continue  # the same thread: no hand-over
        same = [c[i][0] - c[i - 1][0] for c in found if c[i][1] == c[i - 1][1]]
        other = [c[i][0] - c[i - 1][0] for c in found if c[i][1] != c[i - 1][1]]
        ran = [r for r in (runs_on(blocked, c[i - 1][2], c[i - 1][0]) for c in found) if r is not None]
        print(f'  {stages[i - 1][0]:>26} -> {stages[i][0]:<26} same CPU {len(same):5d} {median(same)}, '
              f'other CPU {len(other):5d} {median(other)}; sender ran on {median(ran)}')


if __name__ == '__main__':
    main()
