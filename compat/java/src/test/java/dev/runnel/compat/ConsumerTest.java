package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** KafkaConsumer without a group (assign, seek, offsetsForTimes, pause/resume) and with one (commits). */
class ConsumerTest {
  static final long T0 = 1_700_000_000_000L;

  /** {@code perPartition} records in each partition, the i-th of each stamped T0 + i s. */
  static String topicWithRecords(int partitions, int perPartition) throws Exception {
    String topic = Target.unique("consumer");
    Target.createTopic(topic, partitions);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int p = 0; p < partitions; p++) {
        for (int i = 0; i < perPartition; i++) {
          producer.send(new ProducerRecord<>(topic, p, T0 + i * 1000L, "k" + i, "p" + p + "-" + i));
        }
      }
    }
    return topic;
  }

  static List<TopicPartition> partitions(String topic, int count) {
    return IntStream.range(0, count).mapToObj(p -> new TopicPartition(topic, p)).toList();
  }

  static Map<String, Object> group(String groupId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    return config;
  }

  @Test
  void assignSeekAndPositions() throws Exception {
    String topic = topicWithRecords(1, 10);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      consumer.assign(List.of(tp));
      assertEquals(Set.of(tp), consumer.assignment());
      assertEquals(0L, consumer.beginningOffsets(List.of(tp)).get(tp));
      assertEquals(10L, consumer.endOffsets(List.of(tp)).get(tp));
      consumer.seek(tp, 5);
      List<ConsumerRecord<String, String>> records = Target.pollAtLeast(consumer, 5);
      assertEquals(5L, records.get(0).offset());
      assertEquals("p0-5", records.get(0).value());
      assertEquals(10L, consumer.position(tp));
      consumer.seekToBeginning(List.of(tp));
      assertEquals(0L, consumer.position(tp));
      consumer.seekToEnd(List.of(tp));
      assertEquals(10L, consumer.position(tp));
      consumer.seek(tp, 9);
      assertEquals("p0-9", Target.pollAtLeast(consumer, 1).get(0).value());
    }
  }

  @Test
  void offsetsForTimesFindsTheFirstRecordAtOrAfter() throws Exception {
    String topic = topicWithRecords(1, 10);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      OffsetAndTimestamp between = consumer.offsetsForTimes(Map.of(tp, T0 + 1500)).get(tp);
      assertEquals(2L, between.offset());
      assertEquals(T0 + 2000, between.timestamp());
      assertEquals(0L, consumer.offsetsForTimes(Map.of(tp, 0L)).get(tp).offset());
      assertEquals(9L, consumer.offsetsForTimes(Map.of(tp, T0 + 9000)).get(tp).offset());
      assertNull(consumer.offsetsForTimes(Map.of(tp, T0 + 60_000)).get(tp), "none at or after");
    }
  }

  @Test
  void pauseAndResume() throws Exception {
    String topic = topicWithRecords(2, 5);
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      consumer.assign(List.of(p0, p1));
      consumer.pause(List.of(p0));
      assertEquals(Set.of(p0), consumer.paused());
      List<ConsumerRecord<String, String>> first = Target.pollAtLeast(consumer, 5);
      first.addAll(Target.pollFor(consumer, Duration.ofMillis(500)));
      assertEquals(Set.of(1), first.stream().map(ConsumerRecord::partition).collect(Collectors.toSet()));
      assertEquals(5, first.size());
      consumer.resume(List.of(p0));
      List<ConsumerRecord<String, String>> second = Target.pollAtLeast(consumer, 5);
      assertEquals(Set.of(0), second.stream().map(ConsumerRecord::partition).collect(Collectors.toSet()));
    }
  }

  @Test
  void commitSyncAndCommitAsyncAndANewMemberResumesThere() throws Exception {
    String topic = topicWithRecords(1, 10);
    String groupId = Target.unique("commits");
    TopicPartition tp = new TopicPartition(topic, 0);
    Rebalances listener = new Rebalances();
    try (KafkaConsumer<String, String> consumer = Target.consumer(group(groupId))) {
      consumer.subscribe(List.of(topic), listener);
      Target.pollAtLeast(consumer, 10);
      consumer.commitSync(Map.of(tp, new OffsetAndMetadata(4, "sync")));
      OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
      assertEquals(4L, committed.offset());
      assertEquals("sync", committed.metadata());
      CompletableFuture<Exception> done = new CompletableFuture<>();
      consumer.commitAsync(Map.of(tp, new OffsetAndMetadata(8)), (offsets, error) -> done.complete(error));
      long deadline = System.nanoTime() + Target.TIMEOUT.toNanos();
      while (!done.isDone() && System.nanoTime() < deadline) consumer.poll(Duration.ofMillis(100));
      assertNull(done.get(1, TimeUnit.SECONDS), "commitAsync callback without error");
      assertEquals(8L, consumer.committed(Set.of(tp)).get(tp).offset());
    }
    // a dynamic member gives its partitions back on close
    assertEquals(List.of("assigned " + Set.of(tp), "revoked " + Set.of(tp)), listener.events());
    try (KafkaConsumer<String, String> next = Target.consumer(group(groupId))) {
      next.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> records = Target.pollAtLeast(next, 2);
      assertEquals(8L, records.get(0).offset(), "resumes at the committed offset");
    }
  }

  @Test
  void anOffsetOutOfRangeFailsOrResetsAsAutoOffsetResetSays() throws Exception {
    String topic = topicWithRecords(1, 10);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (Admin admin = Target.admin()) {
      admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).all().get();
    }
    try (KafkaConsumer<String, String> none =
        Target.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
      none.assign(List.of(tp));
      none.seek(tp, 2); // below the log start offset
      OffsetOutOfRangeException error =
          assertThrows(OffsetOutOfRangeException.class, () -> Target.pollFor(none, Duration.ofSeconds(5)));
      assertEquals(Map.of(tp, 2L), error.offsetOutOfRangePartitions());
    }
    try (KafkaConsumer<String, String> earliest = Target.consumer(Map.of())) {
      earliest.assign(List.of(tp));
      earliest.seek(tp, 2);
      assertEquals(4L, Target.pollAtLeast(earliest, 1).get(0).offset(), "reset to the log start offset");
    }
    try (KafkaConsumer<String, String> latest =
        Target.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"))) {
      latest.assign(List.of(tp));
      latest.seek(tp, 50); // past the end
      Target.pollFor(latest, Duration.ofMillis(500));
      assertEquals(10L, latest.position(tp), "reset to the log end offset");
    }
  }

  @Test
  void aPatternSubscriptionPicksUpNewTopics() throws Exception {
    String prefix = Target.unique("pattern");
    Target.createTopic(prefix + "-a", 1);
    Map<String, Object> config = group(Target.unique("pattern-group"));
    config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 500);
    try (KafkaConsumer<String, String> consumer = Target.consumer(config)) {
      consumer.subscribe(Pattern.compile(Pattern.quote(prefix) + "-.*"));
      GroupTest.pollUntil("the first topic", () -> consumer.assignment().size() == 1, consumer);
      Target.createTopic(prefix + "-b", 2);
      GroupTest.pollUntil("the new topic too", () -> consumer.assignment().size() == 3, consumer);
      assertEquals(
          Set.of(prefix + "-a", prefix + "-b"),
          consumer.assignment().stream().map(TopicPartition::topic).collect(Collectors.toSet()));
    }
  }

  @Test
  void enforceRebalanceRevokesAndReassigns() throws Exception {
    String topic = topicWithRecords(2, 1);
    Rebalances listener = new Rebalances();
    try (KafkaConsumer<String, String> consumer = Target.consumer(group(Target.unique("enforce")))) {
      consumer.subscribe(List.of(topic), listener);
      GroupTest.pollUntil("assigned", () -> consumer.assignment().size() == 2, consumer);
      consumer.enforceRebalance("test");
      GroupTest.pollUntil("reassigned", () -> listener.events().size() == 3, consumer);
      Set<TopicPartition> both = new java.util.HashSet<>(partitions(topic, 2)); // printed as Rebalances prints it
      assertEquals(List.of("assigned " + both, "revoked " + both, "assigned " + both), listener.events());
    }
  }
}
