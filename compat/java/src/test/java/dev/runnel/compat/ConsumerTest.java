package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
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
}
