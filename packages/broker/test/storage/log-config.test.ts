import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StorageError } from '../../src/storage/errors.ts'
import {
  CleanupPolicy,
  defaultLogConfig,
  logConfig,
  logConfigFromTopicConfigs,
} from '../../src/storage/log-config.ts'

describe('log config', () => {
  it("has Kafka's defaults", () => {
    assert.deepEqual(defaultLogConfig, {
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      segmentIndexBytes: 10485760,
      retentionMs: 604800000,
      retentionBytes: -1,
      indexIntervalBytes: 4096,
      maxMessageBytes: 1048588,
      cleanupPolicy: 'delete',
      minCleanableDirtyRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      deleteRetentionMs: 86400000,
    })
  })

  it('maps the compaction configs, Long.MAX_VALUE included', () => {
    const r = logConfigFromTopicConfigs({
      'cleanup.policy': 'compact',
      'min.cleanable.dirty.ratio': '0.01',
      'min.compaction.lag.ms': '1000',
      'max.compaction.lag.ms': '9223372036854775807',
      'delete.retention.ms': '0',
    })
    assert.ok(r.ok)
    if (!r.ok) return
    assert.equal(r.config.cleanupPolicy, CleanupPolicy.compact)
    assert.equal(r.config.minCleanableDirtyRatio, 0.01)
    assert.equal(r.config.minCompactionLagMs, 1000)
    assert.equal(r.config.maxCompactionLagMs, Number.MAX_SAFE_INTEGER)
    assert.equal(r.config.deleteRetentionMs, 0)
    assert.equal(logConfigFromTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }).ok, false)
    assert.equal(logConfigFromTopicConfigs({ 'min.cleanable.dirty.ratio': 'dirty' }).ok, false)
    assert.equal(logConfigFromTopicConfigs({ 'max.compaction.lag.ms': '0' }).ok, false)
  })

  it('maps Kafka topic config names, ignoring the ones storage does not use', () => {
    const r = logConfigFromTopicConfigs({
      'retention.ms': '-1',
      'segment.bytes': '2048',
      'cleanup.policy': 'delete,compact',
      'compression.type': 'zstd',
    })
    assert.ok(r.ok)
    if (!r.ok) return
    assert.equal(r.config.retentionMs, -1)
    assert.equal(r.config.segmentBytes, 2048)
    assert.equal(r.config.cleanupPolicy, CleanupPolicy.compactDelete)
    assert.equal(r.config.indexIntervalBytes, 4096)
  })

  it('reports bad values instead of throwing', () => {
    assert.deepEqual(logConfigFromTopicConfigs({ 'retention.ms': 'soon' }), {
      ok: false,
      name: 'retention.ms',
      reason: "retention.ms must be an integer, got 'soon'",
    })
    assert.equal(logConfigFromTopicConfigs({ 'cleanup.policy': 'shred' }).ok, false)
    assert.equal(logConfigFromTopicConfigs({ 'segment.bytes': '3000000000' }).ok, false)
    assert.throws(() => logConfig({ retentionBytes: -2 }), StorageError)
  })
})
