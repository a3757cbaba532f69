// The short version of `npm run campaign` (docs/reliability.md): one run, two kill -9 of the
// broker while librdkafka, kafkajs and @platformatic/kafka produce, transact and consume at full
// speed, then every acknowledgement checked against the log. The long campaign runs 100 of these.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { makeTempDir, removeDir } from '../helpers/broker.ts'
import { campaignRun } from './campaign.ts'

describe('fault campaign (short)', () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await removeDir(d)
  })

  it('one run with two kill -9: no acknowledged record lost, no duplicate, no aborted record visible, commits kept', async () => {
    const dir = await makeTempDir('campaign')
    const report = await campaignRun({ run: 1, seed: 0x5eed, dir, durationMs: 8000, kills: 2 })
    assert.deepEqual(report.violations, [], `violations; the run's files are in ${dir}`)
    dirs.push(dir) // kept for the post-mortem when the run failed
    assert.equal(report.killsAt.length, 2)
    for (const name of ['rd-idem', 'rd-compact', 'rd-retention', 'pf-idem']) {
      assert.ok(report.acked[name] > 0, `${name} acknowledged records: ${JSON.stringify(report.acked)}`)
    }
    assert.ok(
      report.transactions.commit > 0,
      `committed transactions: ${JSON.stringify(report.transactions)}`,
    )
    assert.ok(report.bytesRead > 8 * 2 ** 20, `read back ${report.bytesRead} bytes`)
  })
})
