// Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went, within chosen
// windows of time (the runs of one case): self time by function and by file, and time
// attributed to the nearest Runnel function on the stack (a Buffer copy or a write(2) charged
// to the broker code that asked for it). Idle time is set apart: shares are of the busy time.
// V8 stamps samples with the monotonic clock that process.hrtime reads, so windows taken by
// the harness line up with the broker's samples.
import { readFileSync } from 'node:fs'
import { basename, relative } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
}

export interface LoadedProfile {
  file: string
  nodes: Map<number, ProfileNode>
  parent: Map<number, number>
  /** Sample i: node id, timestamp (µs, monotonic clock) and the time it stands for (µs). */
  sampleNode: number[]
  sampleAt: number[]
  sampleUs: number[]
}

/** The event loop's profile among those `node --cpu-prof` wrote (CPU.<date>.<time>.<pid>.<thread>.<seq>). */
export function mainThreadProfile(files: readonly string[]): string | undefined {
  return files.find((f) => basename(f).split('.')[4] === '0')
}

export function loadProfile(file: string): LoadedProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const sampleAt: number[] = []
  const sampleUs: number[] = []
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]
    sampleAt.push(t)
    // the time a sample stands for is the gap to the next one
    sampleUs.push(profile.timeDeltas[i + 1] ?? 0)
  }
  return { file, nodes, parent, sampleNode: profile.samples, sampleAt, sampleUs }
}

export interface Hotspot {
  name: string
  where: string
  ms: number
  /** Share of the busy (non-idle) time. */
  share: number
}

export interface ProfileSummary {
  file: string
  label: string
  totalMs: number
  idleMs: number
  busyMs: number
  /** Self time by function. */
  functions: Hotspot[]
  /** Self time by file. */
  files: Hotspot[]
  /** Self time charged to the nearest function of packages/ on the stack (GC and V8 apart). */
  runnel: Hotspot[]
  /** Event-loop stalls of at least STALL_MS, longest first (latency spikes come from these). */
  stalls: Stall[]
  stallCount: number
  stallMs: number
}

/**
 * A stretch of at least STALL_MS in which the event loop sat in one frame that is not idle:
 * consecutive samples of one stack node, or one sample followed by a gap (the thread was off
 * the CPU, so the sampler could not interrupt it: preempted, or stuck in the kernel).
 */
export interface Stall {
  ms: number
  frame: string
  /** The nearest Runnel function on the stack. */
  owner: string
}

export const STALL_MS = 10

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

export function summarizeProfile(
  p: LoadedProfile,
  repoRoot: string,
  label: string,
  windows: ReadonlyArray<readonly [number, number]> | undefined,
  top = 20,
): ProfileSummary {
  const where = (url: string) => {
    if (!url) return ''
    const path = url.startsWith('file://') ? new URL(url).pathname : url
    return path.startsWith('/') ? relative(repoRoot, path) : path
  }
  const isRunnel = (url: string) => where(url).startsWith('packages/')
  const selfUs = new Map<number, number>()
  for (let i = 0; i < p.sampleNode.length; i++) {
    const at = p.sampleAt[i]
    if (windows && !windows.some(([a, b]) => at >= a && at <= b)) continue
    selfUs.set(p.sampleNode[i], (selfUs.get(p.sampleNode[i]) ?? 0) + p.sampleUs[i])
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>()
  const byFile = new Map<string, number>()
  const byRunnel = new Map<string, { name: string; where: string; us: number }>()
  let idleUs = 0
  let totalUs = 0
  for (const [id, us] of selfUs) {
    const frame = p.nodes.get(id)!.callFrame
    totalUs += us
    if (frame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    const name = frame.functionName || '(anonymous)'
    const special = SPECIAL.has(name)
    const at = special ? '' : `${where(frame.url) || '(native)'}`
    const key = `${name}@${at}`
    const entry = byFunction.get(key) ?? { name, where: at, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
    const fileKey = special ? name : at
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us)
    // walk up to the nearest Runnel frame
    let owner: ProfileNode | undefined
    if (!special) {
      for (let n: number | undefined = id; n !== undefined; n = p.parent.get(n)) {
        const node = p.nodes.get(n)!
        if (isRunnel(node.callFrame.url)) {
          owner = node
          break
        }
      }
    }
    const ownerName = owner
      ? owner.callFrame.functionName || '(anonymous)'
      : special
        ? name
        : '(outside Runnel code)'
    const ownerWhere = owner ? where(owner.callFrame.url) : ''
    const ownerKey = `${ownerName}@${ownerWhere}`
    const o = byRunnel.get(ownerKey) ?? { name: ownerName, where: ownerWhere, us: 0 }
    o.us += us
    byRunnel.set(ownerKey, o)
  }
  const stalls: Stall[] = []
  const ownerOf = (id: number): string => {
    for (let n: number | undefined = id; n !== undefined; n = p.parent.get(n)) {
      const node = p.nodes.get(n)!
      if (isRunnel(node.callFrame.url))
        return `${node.callFrame.functionName || '(anonymous)'} (${where(node.callFrame.url)})`
    }
    return '-'
  }
  for (let i = 0; i < p.sampleNode.length; ) {
    let j = i
    let us = 0
    while (j < p.sampleNode.length && p.sampleNode[j] === p.sampleNode[i]) us += p.sampleUs[j++]
    const at = p.sampleAt[i]
    const frame = p.nodes.get(p.sampleNode[i])!.callFrame
    if (
      us >= STALL_MS * 1000 &&
      frame.functionName !== '(idle)' &&
      (!windows || windows.some(([a, b]) => at >= a && at <= b))
    ) {
      const name = frame.functionName || '(anonymous)'
      stalls.push({
        ms: us / 1000,
        frame: SPECIAL.has(name) ? name : `${name} (${where(frame.url) || 'native'})`,
        owner: ownerOf(p.sampleNode[i]),
      })
    }
    i = j
  }
  stalls.sort((a, b) => b.ms - a.ms)
  const busyUs = totalUs - idleUs
  const ranked = (xs: Iterable<{ name: string; where: string; us: number }>) =>
    [...xs]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((x) => ({ name: x.name, where: x.where, ms: x.us / 1000, share: busyUs > 0 ? x.us / busyUs : 0 }))
  return {
    file: p.file,
    label,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    functions: ranked(byFunction.values()),
    files: ranked([...byFile].map(([name, us]) => ({ name, where: '', us }))),
    runnel: ranked(byRunnel.values()),
    stalls: stalls.slice(0, top),
    stallCount: stalls.length,
    stallMs: stalls.reduce((n, x) => n + x.ms, 0),
  }
}

export function profileText(s: ProfileSummary, top = 12): string {
  const line = (h: Hotspot) =>
    `    ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}${h.where ? `  (${h.where})` : ''}`
  return [
    `  ${s.label}: event loop busy ${(s.busyMs / 1000).toFixed(2)} s of ${(s.totalMs / 1000).toFixed(2)} s sampled`,
    '   self time by function:',
    ...s.functions.slice(0, top).map(line),
    '   charged to the nearest Runnel function on the stack:',
    ...s.runnel.slice(0, top).map(line),
    `   event-loop stalls of ${STALL_MS} ms or more: ${s.stallCount}, ${s.stallMs.toFixed(0)} ms in all; the longest:`,
    ...s.stalls.slice(0, 6).map((x) => `    ${x.ms.toFixed(0).padStart(6)} ms  ${x.frame}  <  ${x.owner}`),
  ].join('\n')
}
