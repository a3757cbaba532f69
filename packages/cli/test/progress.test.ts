import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderProgress, startProgress } from '../src/progress.ts'

test('with a total the line has a bar, a percentage, the counts and a rate, within the terminal width', () => {
  const line = renderProgress({
    label: 'produce',
    done: 2500,
    total: 10000,
    unit: 'records',
    elapsedMs: 1000,
    columns: 80,
  })
  assert.match(line, /^produce \[#+-+\] {2}25% {2}2,500\/10,000 records {2}2,500 records\/s$/)
  assert.ok(line.length <= 79)
  const narrow = renderProgress({
    label: 'produce',
    done: 1,
    total: 2,
    unit: 'records',
    elapsedMs: 1,
    columns: 30,
  })
  assert.ok(narrow.length <= 29)
})

test('without a total it counts', () => {
  assert.equal(
    renderProgress({
      label: 'consume',
      done: 120000,
      total: undefined,
      unit: 'records',
      elapsedMs: 2000,
      columns: 80,
    }),
    'consume 120,000 records  60.0k records/s',
  )
})

function fakeStream(isTTY: boolean) {
  const writes: string[] = []
  const stream = {
    isTTY,
    columns: 60,
    write: (s: string) => writes.push(s) > 0,
  } as unknown as NodeJS.WriteStream
  return { stream, writes }
}

test('on a terminal the bar is drawn after the delay and erased at the end', async () => {
  const { stream, writes } = fakeStream(true)
  const p = startProgress('reset', { unit: 'steps', total: 4, stream, delayMs: 0 })
  p.update(2)
  await new Promise((r) => setTimeout(r, 250))
  p.stop()
  assert.ok(
    writes.some((w) => w.startsWith('\rreset [') && w.includes('50%')),
    writes.join('|'),
  )
  assert.equal(writes.at(-1), '\r\x1b[K')
})

test('nothing is drawn when stderr is not a terminal, or when the work ends before the delay', async () => {
  const piped = fakeStream(false)
  const p = startProgress('x', { unit: 'records', stream: piped.stream, delayMs: 0 })
  await new Promise((r) => setTimeout(r, 150))
  p.stop()
  assert.deepEqual(piped.writes, [])
  const quick = fakeStream(true)
  const q = startProgress('x', { unit: 'records', stream: quick.stream, delayMs: 10_000 })
  await new Promise((r) => setTimeout(r, 150))
  q.stop()
  assert.deepEqual(quick.writes, [])
})
