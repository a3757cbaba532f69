// Apache Kafka 4.4 for Runnel's tests: fetch the jars once, start a 1- or 3-node KRaft cluster
// on 127.0.0.1, stop it. Test tooling only, never shipped (docs/kafka-harness.md).
export {
  type ApacheKafka,
  type ApacheKafkaBroker,
  type StartApacheKafkaOptions,
  startApacheKafka,
} from './cluster.ts'
export {
  type Installation,
  installKafka,
  KAFKA_VERSION,
  kafkaAvailable,
  kafkaHome,
  kafkaProblem,
  kafkaSkipReason,
  readInstallation,
} from './install.ts'
