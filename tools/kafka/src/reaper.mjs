// node reaper.mjs <parent pid> <dir or ''> <pid>...: see watchdog.ts. Plain JavaScript so that
// it runs on Node alone, whatever loader started the parent.
import { rmSync } from 'node:fs'

const [parent, dir, ...pids] = process.argv.slice(2)
const POLL_MS = 1000
const STOP_TIMEOUT_MS = 15_000

function alive(pid) {
  try {
    process.kill(Number(pid), 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

function signal(pids, name) {
  for (const pid of pids) {
    try {
      process.kill(Number(pid), name)
    } catch {}
  }
}

const timer = setInterval(() => {
  if (!pids.some(alive)) process.exit(0)
  if (alive(parent)) return
  clearInterval(timer)
  // The parent is gone without closing the cluster: stop its nodes, then remove their files.
  signal(pids.filter(alive), 'SIGTERM')
  const started = Date.now()
  const wait = setInterval(() => {
    const running = pids.filter(alive)
    if (running.length > 0 && Date.now() - started < STOP_TIMEOUT_MS) return
    signal(running, 'SIGKILL')
    clearInterval(wait)
    if (dir) setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500)
  }, 200)
}, POLL_MS)
