// Where the CPU went during a phase of a bench (Linux /proc): each named process, the
// PostgreSQL server with its backends, and the whole machine, so a reader can tell a
// slow engine from a busy machine. Empty on systems without /proc.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

function stat(pid: number): { ppid: number; own: number; children: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: split after its closing one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; total: number } | null {
  try {
    const [cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const values = cpu.split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - values[3] - values[4], total };
  } catch {
    return null;
  }
}

/** The server and its backends: the server's own time, its live children's, and its reaped children's. */
function treeTicks(rootPid: number): number {
  const root = stat(rootPid);
  if (!root) return 0;
  let ticks = root.own + root.children;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = stat(Number(entry));
    if (child?.ppid === rootPid) ticks += child.own;
  }
  return ticks;
}

export type CpuSnapshot = { at: number; groups: Map<string, number>; machine: { busy: number; total: number } | null };

/** `pids` name the processes to account for; `postgresPid`, when known, the PostgreSQL server. */
export function cpuSnapshot(pids: Record<string, number>, postgresPid: number | null): CpuSnapshot {
  const groups = new Map<string, number>();
  for (const [name, pid] of Object.entries(pids)) groups.set(name, stat(pid)?.own ?? 0);
  if (postgresPid) groups.set('postgres', treeTicks(postgresPid));
  return { at: performance.now(), groups, machine: machineTicks() };
}

/** CPU milliseconds `group` used between two snapshots. */
export function cpuMs(before: CpuSnapshot, after: CpuSnapshot, group: string): number {
  return (((after.groups.get(group) ?? 0) - (before.groups.get(group) ?? 0)) * 1000) / TICKS_PER_SECOND;
}

/** Cores used by each group between two snapshots, plus the machine's busy cores and the rest (other processes). */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const seconds = (after.at - before.at) / 1000;
  const used = new Map<string, number>();
  let ours = 0;
  for (const [name, ticks] of after.groups) {
    const cores = (ticks - (before.groups.get(name) ?? 0)) / TICKS_PER_SECOND / seconds;
    used.set(name, cores);
    ours += cores;
  }
  if (before.machine && after.machine) {
    const cores = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length : 1;
    const busyShare = (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total);
    used.set('machine', busyShare * cores);
    used.set('other', Math.max(0, busyShare * cores - ours));
  }
  return used;
}

/** One line: "worker 0.62, postgres 0.91, ... of 2 cores busy". */
export function formatCores(used: Map<string, number>): string {
  const parts = [...used].filter(([name]) => name !== 'machine').map(([name, cores]) => `${name} ${cores.toFixed(2)}`);
  const machine = used.get('machine');
  return `${parts.join(', ')}${machine === undefined ? '' : `; machine ${machine.toFixed(2)} cores busy`}`;
}
