// What Linux says about a process and the machine: CPU time and run-queue wait per thread
// (/proc/<pid>/task/<tid>/schedstat, in nanoseconds), the load average and the hardware.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, freemem, totalmem } from 'node:os'

export interface ThreadTimes {
  /** Time on a CPU. */
  cpuSeconds: number
  /** Time runnable but waiting for a CPU: how much the machine's other load held it back. */
  waitSeconds: number
}

export interface ProcessTimes {
  /** The main thread: for Node, the event loop, where all JavaScript runs. */
  main: ThreadTimes
  /** Every thread together (main, libuv pool, V8 GC helpers). */
  all: ThreadTimes
  /**
   * Minor page faults of the whole process (/proc/<pid>/stat): memory touched for the first
   * time since it was mapped, each costing the kernel a page to find and zero.
   */
  minorFaults: number
}

/** Field 10 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces). */
function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
}

function schedstat(path: string): ThreadTimes {
  const [cpu, wait] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number)
  return { cpuSeconds: cpu / 1e9, waitSeconds: wait / 1e9 }
}

/** Times of a live process; threads that have exited are not counted in `all`. */
export function processTimes(pid: number): ProcessTimes {
  const all = { cpuSeconds: 0, waitSeconds: 0 }
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const t = schedstat(`/proc/${pid}/task/${tid}/schedstat`)
      all.cpuSeconds += t.cpuSeconds
      all.waitSeconds += t.waitSeconds
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { main: schedstat(`/proc/${pid}/task/${pid}/schedstat`), all, minorFaults: minorFaults(pid) }
}

export function diffTimes(after: ProcessTimes, before: ProcessTimes): ProcessTimes {
  const d = (a: ThreadTimes, b: ThreadTimes): ThreadTimes => ({
    cpuSeconds: a.cpuSeconds - b.cpuSeconds,
    waitSeconds: a.waitSeconds - b.waitSeconds,
  })
  return {
    main: d(after.main, before.main),
    all: d(after.all, before.all),
    minorFaults: after.minorFaults - before.minorFaults,
  }
}

/** Resident memory of a live process (VmRSS in /proc/<pid>/status), in bytes. */
export function residentBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(kib) * 1024
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number)
  return [a, b, c]
}

export interface Machine {
  nproc: number
  cpuModel: string
  memoryGiB: number
  freeMemoryGiB: number
  node: string
  kernel: string
}

export function describeMachine(): Machine {
  const model =
    /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?'
  let kernel = '?'
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()
  } catch {
    // uname is optional
  }
  return {
    nproc: availableParallelism(),
    cpuModel: model.trim(),
    // whole GiB, rounded down, as `free -g` prints them
    memoryGiB: Math.floor(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.floor(freemem() / 2 ** 30),
    node: process.version,
    kernel,
  }
}
