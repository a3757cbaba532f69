package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;

/** Admin's refusals and its less common calls: log dirs, static member removal, batched offset fetch, abort. */
class AdminErrorsTest extends AdminTests {
  static Throwable createFails(NewTopic topic) {
    return failure(() -> admin.createTopics(List.of(topic)).all().get());
  }

  @Test
  void createTopicsRefusals() throws Exception {
    String topic = Target.unique("admin-refusals");
    Target.createTopic(admin, topic, 1, Map.of());
    assertInstanceOf(TopicExistsException.class, createFails(new NewTopic(topic, 1, (short) 1)));
    String other = Target.unique("admin-refusals");
    assertInstanceOf(
        InvalidConfigurationException.class,
        createFails(new NewTopic(other, 1, (short) 1).configs(Map.of("retention.hours", "1"))));
    assertInstanceOf(
        InvalidConfigurationException.class,
        createFails(new NewTopic(other, 1, (short) 1).configs(Map.of("cleanup.policy", "sometimes"))));
    assertInstanceOf(InvalidPartitionsException.class, createFails(new NewTopic(other, 0, (short) 1)));
    assertInstanceOf(InvalidTopicException.class, createFails(new NewTopic("bad/name", 1, (short) 1)));
    assertInstanceOf(InvalidTopicException.class, createFails(new NewTopic("a".repeat(250), 1, (short) 1)));
    assertFalse(admin.listTopics().names().get().contains(other));
  }

  @Test
  void deleteTopicsByIdAndRecreateTheName() throws Exception {
    String topic = Target.unique("admin-by-id");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicDescription before = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    admin.deleteTopics(TopicCollection.ofTopicIds(List.of(before.topicId()))).all().get();
    Target.eventually("gone", () -> !admin.listTopics().names().get().contains(topic));
    Target.eventually(
        "the name can be taken again",
        () -> {
          try {
            Target.createTopic(admin, topic, 2, Map.of());
            return true;
          } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) return false; // still being deleted
            throw e;
          }
        });
    TopicDescription after = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    assertFalse(before.topicId().equals(after.topicId()), "a new topic id");
    assertEquals(2, after.partitions().size());
  }

  @Test
  void describeLogDirsReportsEachPartitionsSize() throws Exception {
    String topic = Target.unique("admin-logdirs");
    Target.createTopic(admin, topic, 1, Map.of());
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int i = 0; i < 20; i++) producer.send(new ProducerRecord<>(topic, 0, "k", "value-" + i));
    }
    int node = admin.describeCluster().nodes().get().iterator().next().id();
    Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(node)).allDescriptions().get().get(node);
    assertEquals(1, dirs.size(), "one log dir: " + dirs.keySet());
    LogDirDescription dir = dirs.values().iterator().next();
    var replica = dir.replicaInfos().get(new TopicPartition(topic, 0));
    assertTrue(replica != null && replica.size() > 0, "the partition has bytes: " + replica);
  }

  @Test
  void removeAStaticMemberAndFetchTwoGroupsOffsetsAtOnce() throws Exception {
    String topic = Target.unique("admin-static");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    String staticGroup = Target.unique("admin-static-group");
    String otherGroup = Target.unique("admin-other-group");
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG, staticGroup,
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-x",
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 60_000);
    try (KafkaConsumer<String, String> consumer = Target.consumer(config)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Target.TIMEOUT.toNanos();
      while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) consumer.poll(java.time.Duration.ofMillis(100));
      consumer.commitSync(Map.of(tp, new OffsetAndMetadata(0)));
    }
    // closed, but a static member stays until its session times out (60 s) or it is removed
    assertEquals(1, admin.describeConsumerGroups(List.of(staticGroup)).all().get().get(staticGroup).members().size());
    admin
        .removeMembersFromConsumerGroup(staticGroup, new RemoveMembersFromConsumerGroupOptions(List.of(new MemberToRemove("instance-x"))))
        .all()
        .get();
    var described = admin.describeConsumerGroups(List.of(staticGroup)).all().get().get(staticGroup);
    assertEquals(0, described.members().size());
    assertEquals(GroupState.EMPTY, described.groupState());

    admin.alterConsumerGroupOffsets(otherGroup, Map.of(tp, new OffsetAndMetadata(0))).all().get();
    var both =
        admin
            .listConsumerGroupOffsets(
                Map.of(staticGroup, new ListConsumerGroupOffsetsSpec(), otherGroup, new ListConsumerGroupOffsetsSpec()))
            .all()
            .get();
    assertEquals(Set.of(staticGroup, otherGroup), both.keySet());
    assertEquals(0L, both.get(otherGroup).get(tp).offset());
    assertEquals(0L, both.get(staticGroup).get(tp).offset());
  }

  @Test
  void abortAHangingTransactionWithWriteTxnMarkers() throws Exception {
    Target.assumeNoGap(
        "write-txn-markers",
        "Admin.abortTransaction (kafka-transactions abort) sends WriteTxnMarkers (API 27) to the partition"
            + " leader; the broker does not advertise API 27, so the client fails with UnsupportedVersionException");
    String topic = Target.unique("admin-abort");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer =
        Target.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, Target.unique("admin-abort-id")))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "hanging")).get();
      ProducerState state = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers().get(0);
      admin
          .abortTransaction(
              new AbortTransactionSpec(
                  tp, state.producerId(), (short) state.producerEpoch(), state.coordinatorEpoch().orElse(0)))
          .all()
          .get();
      Target.eventually(
          "the partition has no open transaction",
          () ->
              admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers().stream()
                  .allMatch(p -> p.currentTransactionStartOffset().isEmpty()));
      try (KafkaConsumer<String, String> reader =
          Target.consumer(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
        reader.assign(List.of(tp));
        assertEquals(2L, reader.endOffsets(List.of(tp)).get(tp), "the record and the abort marker are stable");
        assertEquals(0, Target.pollFor(reader, java.time.Duration.ofMillis(500)).size(), "nothing committed");
      }
    }
  }
}
