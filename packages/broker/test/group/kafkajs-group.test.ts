// Issue 3 acceptance with kafkajs 2.2.4 members (child processes): split, failover after a
// SIGKILL, scale-out, broker restart, nothing skipped. See group-scenario.ts.
import { join } from 'node:path'
import { test } from 'node:test'
import { REPO_ROOT } from '../helpers/broker.ts'
import { LineChild } from '../helpers/child-process.ts'
import { runGroupScenario } from './group-scenario.ts'

const MEMBER = join(new URL('.', import.meta.url).pathname, 'clients/kafkajs-member.mjs')

test('kafkajs: three members split, failover, scale-out, broker restart, nothing skipped', {
  timeout: 150_000,
}, async (t) => {
  const report = await runGroupScenario({
    topic: 'kafkajs-group',
    group: 'kafkajs-group',
    spawn: (_name, bootstrap, topic, group) =>
      new LineChild(process.execPath, [MEMBER, bootstrap, topic, group], { cwd: REPO_ROOT }),
    log: (m) => t.diagnostic(m),
  })
  t.diagnostic(JSON.stringify(report))
})
