import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  /** Its process group. */
  pgid: number;
  /** Dead, waiting to be reaped. */
  zombie: boolean;
}

/** Every process per /proc; undefined where there is no /proc (macOS). */
export function listProcesses(): ProcessEntry[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const entries: ProcessEntry[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    entries.push({ pid: Number(pid), pgid: Number(fields[2]), zombie: fields[0] === 'Z' });
  }
  return entries;
}

/** The value of `name` in the environment a process started with; undefined if unset or unreadable. */
export function environmentValue(pid: number, name: string): string | undefined {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined; // exited, or not ours to read
  }
  const prefix = `${name}=`;
  for (const entry of environ.split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return undefined;
}
