// resolveBrokerConfig: Kafka's broker setting names given as brokerConfigs (`--config k=v`)
// set what the broker does, and a bad value is refused with the setting's name.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { resolveBrokerConfig } from '../../src/config/broker-config.ts'

describe('resolveBrokerConfig', () => {
  it('takes log.retention.check.interval.ms from the broker configs, 5 minutes by default', () => {
    assert.equal(resolveBrokerConfig({}).retentionCheckIntervalMs, 300_000)
    const c = resolveBrokerConfig({ brokerConfigs: { 'log.retention.check.interval.ms': '250' } })
    assert.equal(c.retentionCheckIntervalMs, 250)
    // The explicit option wins over the config map.
    const both = resolveBrokerConfig({
      retentionCheckIntervalMs: 1000,
      brokerConfigs: { 'log.retention.check.interval.ms': '250' },
    })
    assert.equal(both.retentionCheckIntervalMs, 1000)
  })

  it('refuses a log.retention.check.interval.ms that is not a positive integer, naming it', () => {
    for (const bad of ['0', '-5', 'soon', '1.5']) {
      assert.throws(
        () => resolveBrokerConfig({ brokerConfigs: { 'log.retention.check.interval.ms': bad } }),
        (err: Error) =>
          err instanceof RangeError &&
          err.message.includes(`log.retention.check.interval.ms`) &&
          err.message.includes(bad),
        bad,
      )
    }
  })
})
