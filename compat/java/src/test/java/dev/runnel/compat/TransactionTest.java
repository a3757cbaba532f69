package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;

/** Transactional producers: commit, abort (read_committed), zombie fencing, sendOffsetsToTransaction. */
class TransactionTest {
  static KafkaProducer<String, String> transactional(String transactionalId) {
    KafkaProducer<String, String> producer =
        Target.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId));
    producer.initTransactions();
    return producer;
  }

  static KafkaConsumer<String, String> reader(String isolation) {
    return Target.consumer(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation));
  }

  /** Every value of partition 0 up to its end offset (the last stable offset for read_committed). */
  static List<String> readAll(String topic, String isolation) {
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<String, String> consumer = reader(isolation)) {
      consumer.assign(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      List<String> values = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Target.TIMEOUT.toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
      assertTrue(consumer.position(tp) >= end, "read up to the end offset " + end);
      return values;
    }
  }

  static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) if (type.isInstance(t)) return true;
    return false;
  }

  @Test
  void committedAndAbortedTransactionsAsReadCommittedAndReadUncommittedSeeThem() throws Exception {
    String topic = Target.unique("txn");
    Target.createTopic(topic, 1);
    try (KafkaProducer<String, String> producer = transactional(Target.unique("txn-id"))) {
      producer.beginTransaction();
      for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k", "aborted-" + i));
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, "k", "committed-" + i));
      producer.commitTransaction();
    }
    List<String> committed = List.of("committed-0", "committed-1", "committed-2", "committed-3", "committed-4");
    assertEquals(committed, readAll(topic, "read_committed"));
    List<String> uncommitted = readAll(topic, "read_uncommitted");
    assertEquals(10, uncommitted.size(), "read_uncommitted sees the aborted records too: " + uncommitted);
    assertEquals("aborted-0", uncommitted.get(0));
  }

  @Test
  void readCommittedStopsAtAnOpenTransaction() throws Exception {
    String topic = Target.unique("txn-open");
    Target.createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer = transactional(Target.unique("txn-id"))) {
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "open"));
      producer.flush();
      try (KafkaConsumer<String, String> committed = reader("read_committed");
          KafkaConsumer<String, String> uncommitted = reader("read_uncommitted")) {
        committed.assign(List.of(tp));
        uncommitted.assign(List.of(tp));
        assertEquals(0L, committed.endOffsets(List.of(tp)).get(tp), "last stable offset before the open one");
        assertEquals(1L, uncommitted.endOffsets(List.of(tp)).get(tp), "high watermark");
        assertEquals(0, Target.pollFor(committed, Duration.ofMillis(500)).size());
        producer.commitTransaction();
        assertEquals("open", Target.pollAtLeast(committed, 1).get(0).value());
      }
    }
  }

  @Test
  void aSecondProducerWithTheSameTransactionalIdFencesTheZombie() throws Exception {
    String topic = Target.unique("txn-zombie");
    Target.createTopic(topic, 1);
    String id = Target.unique("txn-id");
    try (KafkaProducer<String, String> zombie = transactional(id)) {
      zombie.beginTransaction();
      zombie.send(new ProducerRecord<>(topic, 0, "k", "zombie")).get();
      try (KafkaProducer<String, String> successor = transactional(id)) {
        // the successor's InitProducerId aborted the zombie's open transaction and bumped the epoch
        KafkaException error = assertThrows(KafkaException.class, zombie::commitTransaction);
        assertTrue(causedBy(error, ProducerFencedException.class), "ProducerFencedException, got " + error);
        successor.beginTransaction();
        successor.send(new ProducerRecord<>(topic, 0, "k", "successor"));
        successor.commitTransaction();
      }
    }
    assertEquals(List.of("successor"), readAll(topic, "read_committed"));
  }

  @Test
  void sendOffsetsToTransactionCommitsTheGroupsOffsetsWithTheOutput() throws Exception {
    String input = Target.unique("txn-in");
    String output = Target.unique("txn-out");
    String group = Target.unique("txn-group");
    Target.createTopic(input, 1);
    Target.createTopic(output, 1);
    try (KafkaProducer<String, String> plain = Target.producer(Map.of())) {
      for (int i = 0; i < 10; i++) plain.send(new ProducerRecord<>(input, 0, "k", "in-" + i));
    }
    TopicPartition in = new TopicPartition(input, 0);
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> consumer = Target.consumer(config);
        KafkaProducer<String, String> producer = transactional(Target.unique("txn-id"))) {
      consumer.subscribe(List.of(input));
      List<ConsumerRecord<String, String>> first = Target.pollAtLeast(consumer, 10);
      producer.beginTransaction();
      for (ConsumerRecord<String, String> r : first) {
        producer.send(new ProducerRecord<>(output, 0, r.key(), r.value().replace("in", "out")));
      }
      producer.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(10)), consumer.groupMetadata());
      producer.commitTransaction();
      assertEquals(10L, consumer.committed(java.util.Set.of(in)).get(in).offset());

      // an aborted transaction's offsets are not committed
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(output, 0, "k", "never"));
      producer.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(99)), consumer.groupMetadata());
      producer.abortTransaction();
      assertEquals(10L, consumer.committed(java.util.Set.of(in)).get(in).offset());
    }
    List<String> out = readAll(output, "read_committed");
    assertEquals(10, out.size());
    assertEquals("out-0", out.get(0));
  }

  @Test
  void offsetsSentWithAStaleGenerationAreRefused() throws Exception {
    String input = Target.unique("txn-stale-in");
    String group = Target.unique("txn-stale-group");
    Target.createTopic(input, 2);
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, group,
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, org.apache.kafka.clients.consumer.RangeAssignor.class.getName());
    try (KafkaConsumer<String, String> c1 = Target.consumer(config);
        KafkaProducer<String, String> producer = transactional(Target.unique("txn-id"))) {
      c1.subscribe(List.of(input));
      GroupTest.pollUntil("assigned", () -> c1.assignment().size() == 2, c1);
      var stale = c1.groupMetadata();
      try (KafkaConsumer<String, String> c2 = Target.consumer(config)) {
        c2.subscribe(List.of(input));
        GroupTest.pollUntil("a new generation", () -> c1.assignment().size() == 1 && c2.assignment().size() == 1, c1, c2);
        assertTrue(c1.groupMetadata().generationId() > stale.generationId());
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(input, 0, "k", "v"));
        TopicPartition tp = new TopicPartition(input, 0);
        // KIP-447: TxnOffsetCommit carries the member and generation; the coordinator checks them
        KafkaException error =
            assertThrows(
                KafkaException.class,
                () -> {
                  producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(1)), stale);
                  producer.commitTransaction();
                });
        assertTrue(
            causedBy(error, org.apache.kafka.clients.consumer.CommitFailedException.class)
                || causedBy(error, org.apache.kafka.common.errors.IllegalGenerationException.class),
            "CommitFailedException (ILLEGAL_GENERATION), got " + error);
        producer.abortTransaction();
        assertEquals(null, c2.committed(java.util.Set.of(tp)).get(tp), "nothing committed");
      }
    }
  }

  @Test
  void theCoordinatorAbortsATransactionPastItsTimeout() throws Exception {
    String topic = Target.unique("txn-timeout");
    Target.createTopic(topic, 1);
    Map<String, Object> config =
        Map.of(
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, Target.unique("txn-id"),
            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 1000);
    try (KafkaProducer<String, String> producer = Target.producer(config)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "late")).get();
      TopicPartition tp = new TopicPartition(topic, 0);
      // Kafka looks for expired transactions every 10 s (transaction.abort.timed.out.transaction.cleanup.interval.ms)
      try (KafkaConsumer<String, String> reader = reader("read_committed")) {
        reader.assign(List.of(tp));
        Target.eventually("the abort marker makes the record stable", () -> reader.endOffsets(List.of(tp)).get(tp) == 2L);
      }
      KafkaException error = assertThrows(KafkaException.class, producer::commitTransaction);
      assertTrue(
          causedBy(error, ProducerFencedException.class)
              || causedBy(error, org.apache.kafka.common.errors.InvalidProducerEpochException.class)
              || causedBy(error, org.apache.kafka.common.errors.InvalidTxnStateException.class),
          "the timed-out transaction cannot commit, got " + error);
    }
    assertEquals(List.of(), readAll(topic, "read_committed"));
  }
}
