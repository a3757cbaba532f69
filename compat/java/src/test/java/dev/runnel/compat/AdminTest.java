package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** Admin: topics, partitions, cluster, configs, offsets, records, groups, producers, transactions. */
class AdminTest extends AdminTests {
  @Test
  void createDescribeListAndDeleteTopics() throws Exception {
    String topic = Target.unique("admin-topic");
    Target.createTopic(admin, topic, 3, Map.of("retention.ms", "3600000", "cleanup.policy", "delete"));
    assertTrue(admin.listTopics().names().get().contains(topic));
    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    assertEquals(3, description.partitions().size());
    assertNotNull(description.topicId());
    description.partitions().forEach(p -> {
      assertNotNull(p.leader(), "partition " + p.partition() + " has a leader");
      assertEquals(1, p.replicas().size());
      assertEquals(p.replicas(), p.isr());
    });
    // by topic id too
    var byId = admin.describeTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(description.topicId())));
    assertEquals(topic, byId.allTopicIds().get().get(description.topicId()).name());

    admin.deleteTopics(List.of(topic)).all().get();
    Target.eventually(
        topic + " is gone",
        () -> !admin.listTopics().names().get().contains(topic));
    assertInstanceOf(
        UnknownTopicOrPartitionException.class,
        failure(() -> admin.describeTopics(List.of(topic)).allTopicNames().get()));
  }

  @Test
  void replicationFactorThreeIsRefusedByOneNode() throws Exception {
    // docs/compatibility.md and docs/broker-admin.md: Runnel keeps one replica and refuses more
    // with Kafka's INVALID_REPLICATION_FACTOR, as a 1-node Kafka does
    String topic = Target.unique("admin-rf3");
    Throwable error =
        failure(() -> admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get());
    assertInstanceOf(InvalidReplicationFactorException.class, error);
    assertTrue(error.getMessage().contains("3"), error.getMessage());
    assertFalse(admin.listTopics().names().get().contains(topic));
  }

  @Test
  void validateOnlyCreatesNothing() throws Exception {
    String topic = Target.unique("admin-validate");
    admin
        .createTopics(List.of(new NewTopic(topic, 2, (short) 1)), new org.apache.kafka.clients.admin.CreateTopicsOptions().validateOnly(true))
        .all()
        .get();
    assertFalse(admin.listTopics().names().get().contains(topic));
  }

  @Test
  void createPartitionsGrowsATopic() throws Exception {
    String topic = Target.unique("admin-grow");
    Target.createTopic(admin, topic, 2, Map.of());
    admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all().get();
    Target.eventually(
        "5 partitions",
        () -> admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size() == 5);
    Target.awaitLeaders(admin, topic, 5);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      assertEquals(4, producer.send(new ProducerRecord<>(topic, 4, "k", "v")).get().partition());
    }
  }

  @Test
  void describeCluster() throws Exception {
    DescribeClusterResult cluster = admin.describeCluster();
    Collection<org.apache.kafka.common.Node> nodes = cluster.nodes().get();
    assertEquals(1, nodes.size());
    assertNotNull(cluster.clusterId().get());
    org.apache.kafka.common.Node node = nodes.iterator().next();
    assertEquals(node.id(), cluster.controller().get().id(), "the one node is the controller");
    assertTrue(Target.BOOTSTRAP.endsWith(":" + node.port()), node + " vs " + Target.BOOTSTRAP);
  }

  static ConfigEntry topicConfig(ConfigResource resource, String name) throws Exception {
    Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    return config.get(name);
  }

  @Test
  void describeAndIncrementallyAlterConfigs() throws Exception {
    String topic = Target.unique("admin-configs");
    Target.createTopic(admin, topic, 1, Map.of());
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    ConfigEntry retention = topicConfig(resource, "retention.ms");
    assertEquals("604800000", retention.value());
    assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, retention.source());

    admin
        .incrementalAlterConfigs(
            Map.of(
                resource,
                List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND))))
        .all()
        .get();
    Target.eventually("retention.ms=3600000", () -> "3600000".equals(topicConfig(resource, "retention.ms").value()));
    ConfigEntry set = topicConfig(resource, "retention.ms");
    assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, set.source());
    assertEquals("delete,compact", topicConfig(resource, "cleanup.policy").value());

    admin
        .incrementalAlterConfigs(
            Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE))))
        .all()
        .get();
    Target.eventually("retention.ms back to its default", () -> "604800000".equals(topicConfig(resource, "retention.ms").value()));

    Throwable bad =
        failure(
            () ->
                admin
                    .incrementalAlterConfigs(
                        Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry("retention.hours", "1"), AlterConfigOp.OpType.SET))))
                    .all()
                    .get());
    assertInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class, bad);

  }

  static Config brokerConfig() throws Exception {
    String nodeId = String.valueOf(admin.describeCluster().nodes().get().iterator().next().id());
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodeId);
    return admin.describeConfigs(List.of(broker)).all().get().get(broker);
  }

  @Test
  void describeBrokerConfigs() throws Exception {
    Config config = brokerConfig();
    assertEquals("1", config.get("num.partitions").value());
    assertEquals("true", config.get("auto.create.topics.enable").value());
    assertEquals("1048588", config.get("message.max.bytes").value());
    assertEquals("1073741824", config.get("log.segment.bytes").value());
    assertEquals("1", config.get("default.replication.factor").value());
  }

  @Test
  void describeBrokerConfigsListsEveryBrokerConfig() throws Exception {
    Target.assumeNoGap(
        "broker-configs-subset",
        "DescribeConfigs v4 for the BROKER resource answers 35 entries, Kafka 4.4 about 350: log.retention.hours"
            + " (168) and offsets.topic.replication.factor are absent, and log.retention.ms is 604800000 where"
            + " Kafka reports null (unset; log.retention.hours applies)");
    Config config = brokerConfig();
    assertEquals("168", config.get("log.retention.hours").value());
    assertNotNull(config.get("offsets.topic.replication.factor"));
    assertTrue(config.entries().size() > 200, config.entries().size() + " entries");
  }

  @Test
  void listOffsetsEarliestLatestByTimestampAndMaxTimestamp() throws Exception {
    String topic = Target.unique("admin-offsets");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    long t0 = 1_700_000_000_000L;
    long[] stamps = {t0, t0 + 5000, t0 + 2000, t0 + 3000};
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (long ts : stamps) producer.send(new ProducerRecord<>(topic, 0, ts, "k", "v")).get();
    }
    assertEquals(0L, offset(tp, OffsetSpec.earliest()).offset());
    assertEquals(4L, offset(tp, OffsetSpec.latest()).offset());
    // the first offset whose timestamp is at or after the target, in offset order (not the closest)
    assertEquals(1L, offset(tp, OffsetSpec.forTimestamp(t0 + 1500)).offset());
    assertEquals(t0 + 5000, offset(tp, OffsetSpec.forTimestamp(t0 + 1500)).timestamp());
    assertEquals(0L, offset(tp, OffsetSpec.forTimestamp(t0)).offset());
    ListOffsetsResultInfo max = offset(tp, OffsetSpec.maxTimestamp());
    assertEquals(1L, max.offset(), "the record with the largest timestamp");
    assertEquals(t0 + 5000, max.timestamp());
    assertEquals(-1L, offset(tp, OffsetSpec.forTimestamp(t0 + 60_000)).offset(), "none at or after");
  }

  static ListOffsetsResultInfo offset(TopicPartition tp, OffsetSpec spec) throws Exception {
    return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
  }

  @Test
  void deleteRecordsMovesTheLogStartOffset() throws Exception {
    String topic = Target.unique("admin-delete-records");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, "k", "v" + i));
    }
    long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(6))).lowWatermarks().get(tp).get().lowWatermark();
    assertEquals(6L, low);
    assertEquals(6L, offset(tp, OffsetSpec.earliest()).offset());
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      assertEquals("v6", Target.pollAtLeast(consumer, 1).get(0).value());
    }
  }

  @Test
  void consumerGroupsListDescribeAlterDeleteOffsetsAndDelete() throws Exception {
    String topic = Target.unique("admin-groups");
    String group = Target.unique("admin-group");
    Target.createTopic(admin, topic, 2, Map.of());
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int i = 0; i < 4; i++) producer.send(new ProducerRecord<>(topic, i % 2, "k", "v" + i));
    }
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
      consumer.subscribe(List.of(topic));
      Target.pollAtLeast(consumer, 4);
      consumer.commitSync();
      ConsumerGroupDescription live = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
      assertEquals(GroupState.STABLE, live.groupState());
      assertEquals(1, live.members().size());
      assertEquals(Set.of(p0, p1), live.members().iterator().next().assignment().topicPartitions());
      Throwable busy = failure(() -> admin.deleteConsumerGroups(List.of(group)).all().get());
      assertInstanceOf(org.apache.kafka.common.errors.GroupNotEmptyException.class, busy);
    }
    Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get();
    GroupListing listed = groups.stream().filter(g -> g.groupId().equals(group)).findFirst().orElseThrow();
    assertEquals(GroupState.EMPTY, listed.groupState().orElseThrow());
    assertEquals(GroupState.EMPTY, admin.describeConsumerGroups(List.of(group)).all().get().get(group).groupState());

    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    assertEquals(2L, committed.get(p0).offset());
    assertEquals(2L, committed.get(p1).offset());

    admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(1, "rewound"))).all().get();
    committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    assertEquals(1L, committed.get(p0).offset());
    assertEquals("rewound", committed.get(p0).metadata());

    admin.deleteConsumerGroupOffsets(group, Set.of(p1)).all().get();
    committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    assertEquals(Set.of(p0), committed.keySet());

    admin.deleteConsumerGroups(List.of(group)).all().get();
    Target.eventually(
        "the group is gone",
        () -> admin.listGroups().all().get().stream().noneMatch(g -> g.groupId().equals(group)));
  }

  @Test
  void describeProducersListAndDescribeTransactionsAndFenceProducers() throws Exception {
    String topic = Target.unique("admin-txn");
    String transactionalId = Target.unique("admin-txn-id");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer =
        Target.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "a")).get();
      producer.send(new ProducerRecord<>(topic, 0, "k", "b")).get();

      List<ProducerState> active = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
      assertEquals(1, active.size());
      ProducerState state = active.get(0);
      assertEquals(1, state.lastSequence(), "two records: sequences 0 and 1");
      assertEquals(0L, state.currentTransactionStartOffset().orElse(-1), "the open transaction starts at 0");

      TransactionListing listing =
          admin.listTransactions().all().get().stream()
              .filter(t -> t.transactionalId().equals(transactionalId))
              .findFirst()
              .orElseThrow();
      assertEquals(TransactionState.ONGOING, listing.state());
      assertEquals(state.producerId(), listing.producerId());

      TransactionDescription description =
          admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get();
      assertEquals(TransactionState.ONGOING, description.state());
      assertEquals(Set.of(tp), description.topicPartitions());
      assertEquals(state.producerId(), description.producerId());

      admin.fenceProducers(List.of(transactionalId)).all().get();
      Throwable fenced = assertThrows(Exception.class, producer::commitTransaction);
      boolean isFenced = false;
      for (Throwable t = fenced; t != null; t = t.getCause()) isFenced |= t instanceof ProducerFencedException;
      assertTrue(isFenced, "ProducerFencedException, got " + fenced);
    }
    Target.eventually(
        "the fenced transaction is aborted",
        () -> {
          TransactionDescription d = admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get();
          return d.state() == TransactionState.COMPLETE_ABORT || d.state() == TransactionState.EMPTY;
        });
  }
}
