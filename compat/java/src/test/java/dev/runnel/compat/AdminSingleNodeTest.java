package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.ListConfigResourcesOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.junit.jupiter.api.Test;

/**
 * Admin calls that a single node without security, quotas or tiered storage answers trivially in
 * Kafka 4.4, and what a 1-node Kafka says to each. Each names the gap Runnel has there: the API (or
 * the version) is not in its ApiVersions, so the Java client fails with UnsupportedVersionException.
 */
class AdminSingleNodeTest extends AdminTests {
  @Test
  void minInsyncReplicasAboveTheReplicationFactor() throws Exception {
    Target.assumeNoGap(
        "min-insync-replicas",
        "CreateTopics with min.insync.replicas=2 and replication factor 1 is refused with INVALID_CONFIG"
            + " (\"cannot exceed 1 on a single-node broker\"); Kafka 4.4 creates the topic and takes acks=all");
    String topic = Target.unique("admin-min-isr");
    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("min.insync.replicas", "2")))).all().get();
    Target.awaitLeaders(admin, topic, 1);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      assertEquals(0L, producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get().offset());
    }
  }

  @Test
  void listOffsetsEarliestLocalAndLatestTiered() throws Exception {
    Target.assumeNoGap(
        "list-offsets-v8",
        "OffsetSpec.earliestLocal() needs ListOffsets v8 and latestTiered() v9; the broker advertises 1-7");
    String topic = Target.unique("admin-local");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get();
    }
    assertEquals(0L, admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal())).partitionResult(tp).get().offset());
    assertEquals(-1L, admin.listOffsets(Map.of(tp, OffsetSpec.latestTiered())).partitionResult(tp).get().offset());
  }

  @Test
  void electLeadersIsNotNeeded() throws Exception {
    Target.assumeNoGap("elect-leaders", "ElectLeaders (43) is not advertised (kafka-leader-election)");
    String topic = Target.unique("admin-elect");
    Target.createTopic(admin, topic, 1, Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    Map<TopicPartition, Optional<Throwable>> result =
        admin.electLeaders(ElectionType.PREFERRED, Set.of(tp)).partitions().get();
    assertInstanceOf(ElectionNotNeededException.class, result.get(tp).orElseThrow());
  }

  @Test
  void describeAclsWithoutAnAuthorizer() {
    Target.assumeNoGap("describe-acls", "DescribeAcls (29) is not advertised (kafka-acls --list)");
    Throwable error = failure(() -> admin.describeAcls(AclBindingFilter.ANY).values().get());
    assertInstanceOf(SecurityDisabledException.class, error);
  }

  @Test
  void describeClientQuotasScramCredentialsAndClientMetricsAreEmpty() throws Exception {
    Target.assumeNoGap(
        "quotas-scram-client-metrics",
        "DescribeClientQuotas (48), DescribeUserScramCredentials (50) and ListConfigResources (74) are not"
            + " advertised (kafka-configs --entity-type clients/users, kafka-client-metrics --list)");
    assertTrue(admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get().isEmpty());
    assertTrue(admin.describeUserScramCredentials().all().get().isEmpty());
    var resources =
        admin.listConfigResources(Set.of(ConfigResource.Type.CLIENT_METRICS), new ListConfigResourcesOptions()).all().get();
    assertTrue(resources.isEmpty(), resources.toString());
  }

  @Test
  void describeMetadataQuorumNamesTheOneNode() throws Exception {
    Target.assumeNoGap("describe-quorum", "DescribeQuorum (55) is not advertised (kafka-metadata-quorum)");
    var quorum = admin.describeMetadataQuorum().quorumInfo().get();
    int node = admin.describeCluster().nodes().get().iterator().next().id();
    assertEquals(node, quorum.leaderId());
    assertEquals(1, quorum.voters().size());
  }
}
