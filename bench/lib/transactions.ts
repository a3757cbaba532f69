// Transactions (issue 5): records/s of a producer that commits a transaction every 100 records
// (begin, 100 records to one partition, commit), against the same idempotent producer
// (acks=all) without transactions, with librdkafka and with @platformatic/kafka. The broker's
// /metrics say how long each transaction's AddPartitionsToTxn, Produce and EndTxn took inside
// it; the report sets that against the time a transaction took the client.
import { type Case, type Counts, measuredTool, node, topicName } from './harness.ts'
import { createTopics } from './topics.ts'

/** Records per transaction, and per send() of platformatic's producer in both of its cases. */
export const PER_TRANSACTION = 100

/**
 * librdkafka (`rdkafka-perf txn-produce`): the settings of the other produce cases
 * (`linger.ms=5`, large batches) plus enable.idempotence, hence acks=all and at most 5 requests
 * in flight. The transactional case adds a transactional.id of its own per run;
 * init_transactions and the topic's metadata come before the timing.
 */
function rdkafkaTxn(transactional: boolean, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `rdkafka-produce-100b-${transactional ? 'txn' : 'idempotent'}`,
    group: 'transactions',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'produce',
    size: 100,
    acks: -1,
    idempotent: true,
    records,
    needsRdkafka: true,
    async run(ctx, run) {
      const topic = topicName(c, run)
      const per = transactional ? PER_TRANSACTION : 0
      await createTopics(ctx.broker.bootstrap, [topic])
      return measuredTool(
        ctx.rdkafka!.binary,
        ['txn-produce', ctx.broker.bootstrap, topic, String(records(ctx.counts)), '100', String(per)],
        ctx.broker.pid,
        ctx.broker.httpPort,
        run,
        topic,
      )
    },
  }
  if (transactional) c.perTransaction = PER_TRANSACTION
  return c
}

/**
 * @platformatic/kafka (`platformatic-perf txn-produce`): one send() of 100 records at a time,
 * idempotent, acks=all; transactional: beginTransaction, send, commit for each.
 */
function platformaticTxn(transactional: boolean, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `platformatic-produce-100b-${transactional ? 'txn' : 'idempotent'}`,
    group: 'transactions',
    client: '@platformatic/kafka',
    target: 'runnel',
    kind: 'produce',
    size: 100,
    acks: -1,
    idempotent: true,
    records,
    needsRdkafka: false,
    async run(ctx, run) {
      const topic = topicName(c, run)
      await createTopics(ctx.broker.bootstrap, [topic])
      const [cmd, args] = node(ctx, [
        'txn-produce',
        ctx.broker.bootstrap,
        topic,
        String(records(ctx.counts)),
        '100',
        String(PER_TRANSACTION),
        transactional ? '1' : '0',
      ])
      return measuredTool(cmd, args, ctx.broker.pid, ctx.broker.httpPort, run, topic)
    },
  }
  if (transactional) c.perTransaction = PER_TRANSACTION
  return c
}

export function transactionCases(): Case[] {
  return [
    rdkafkaTxn(false, (k) => k.rdkafkaIdempotent100),
    rdkafkaTxn(true, (k) => k.transactional100),
    platformaticTxn(false, (k) => k.platformaticIdempotent100),
    platformaticTxn(true, (k) => k.transactional100),
  ]
}
