package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.junit.jupiter.api.Test;

/** Consumer groups: the classic protocol's eager and cooperative rebalances, static membership, KIP-848. */
class GroupTest {
  static final int PARTITIONS = 4;

  static Map<String, Object> member(String groupId, Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.putAll(extra);
    return config;
  }

  static Map<String, Object> classic(Class<?> assignor) {
    return Map.of(
        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName(),
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
  }

  /** Polls every consumer in turn (one thread: each KafkaConsumer is single-threaded) until done. */
  @SafeVarargs
  static void pollUntil(String what, BooleanSupplier done, KafkaConsumer<String, String>... consumers) {
    long deadline = System.nanoTime() + Target.TIMEOUT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("not within " + Target.TIMEOUT + ": " + what);
      for (KafkaConsumer<String, String> c : consumers) c.poll(Duration.ofMillis(100));
    }
  }

  static Set<TopicPartition> all(String topic) {
    Set<TopicPartition> all = new HashSet<>();
    for (int p = 0; p < PARTITIONS; p++) all.add(new TopicPartition(topic, p));
    return all;
  }

  /** Polls both members until each holds half the partitions, and checks they hold all between them. */
  static void awaitSplit(String topic, KafkaConsumer<String, String> c1, KafkaConsumer<String, String> c2) {
    pollUntil(
        "two members, two partitions each",
        () -> c1.assignment().size() == PARTITIONS / 2 && c2.assignment().size() == PARTITIONS / 2,
        c1,
        c2);
    assertSplit(topic, c1.assignment(), c2.assignment());
  }

  static ConsumerGroupDescription describe(String groupId) throws Exception {
    try (Admin admin = Target.admin()) {
      return admin.describeConsumerGroups(List.of(groupId)).all().get().get(groupId);
    }
  }

  static void assertSplit(String topic, Set<TopicPartition> a, Set<TopicPartition> b) {
    assertEquals(PARTITIONS / 2, a.size(), "half each: " + a + " / " + b);
    assertEquals(PARTITIONS / 2, b.size(), "half each: " + a + " / " + b);
    Set<TopicPartition> union = new HashSet<>(a);
    union.addAll(b);
    assertEquals(all(topic), union, "together they hold every partition");
  }

  @Test
  void eagerRangeAssignorRevokesEverythingWhenASecondMemberJoins() throws Exception {
    String topic = Target.unique("eager");
    Target.createTopic(topic, PARTITIONS);
    String groupId = Target.unique("eager-group");
    Rebalances first = new Rebalances();
    Rebalances second = new Rebalances();
    try (KafkaConsumer<String, String> c1 = Target.consumer(member(groupId, classic(RangeAssignor.class)))) {
      c1.subscribe(List.of(topic), first);
      pollUntil("the first member holds all", () -> c1.assignment().size() == PARTITIONS, c1);
      try (KafkaConsumer<String, String> c2 = Target.consumer(member(groupId, classic(RangeAssignor.class)))) {
        c2.subscribe(List.of(topic), second);
        awaitSplit(topic, c1, c2);
        assertEquals(all(topic), first.revoked().get(0), "eager: the first member gave back every partition");
        ConsumerGroupDescription group = describe(groupId);
        assertEquals(2, group.members().size());
        assertEquals("range", group.partitionAssignor());
      }
      pollUntil("the first member takes all back", () -> c1.assignment().size() == PARTITIONS, c1);
    }
  }

  @Test
  void cooperativeStickyMovesOnlyWhatTheNewMemberGets() throws Exception {
    String topic = Target.unique("cooperative");
    Target.createTopic(topic, PARTITIONS);
    String groupId = Target.unique("cooperative-group");
    Rebalances first = new Rebalances();
    var config = member(groupId, classic(CooperativeStickyAssignor.class));
    try (KafkaConsumer<String, String> c1 = Target.consumer(config)) {
      c1.subscribe(List.of(topic), first);
      pollUntil("the first member holds all", () -> c1.assignment().size() == PARTITIONS, c1);
      try (KafkaConsumer<String, String> c2 = Target.consumer(config)) {
        c2.subscribe(List.of(topic), new Rebalances());
        awaitSplit(topic, c1, c2);
        assertEquals(1, first.revoked().size(), "one revocation: " + first.events());
        Set<TopicPartition> moved = first.revoked().get(0);
        assertEquals(c2.assignment(), moved, "only what the second member got was revoked");
        assertEquals("cooperative-sticky", describe(groupId).partitionAssignor());
      }
    }
  }

  @Test
  void staticMemberComesBackToItsPartitionsAndADuplicateInstanceIsFenced() throws Exception {
    String topic = Target.unique("static");
    Target.createTopic(topic, PARTITIONS);
    String groupId = Target.unique("static-group");
    Map<String, Object> extra = new HashMap<>(classic(RangeAssignor.class));
    extra.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
    extra.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
    Set<TopicPartition> before;
    String memberBefore;
    try (Admin admin = Target.admin()) {
      try (KafkaConsumer<String, String> c1 = Target.consumer(member(groupId, extra))) {
        c1.subscribe(List.of(topic));
        pollUntil("assigned", () -> c1.assignment().size() == PARTITIONS, c1);
        before = c1.assignment();
        MemberDescription m = onlyMember(admin, groupId);
        assertEquals("instance-a", m.groupInstanceId().orElse(null));
        memberBefore = m.consumerId();
      }
      // a static member does not leave the group on close: it is still there, within its session
      assertEquals("instance-a", onlyMember(admin, groupId).groupInstanceId().orElse(null));
      try (KafkaConsumer<String, String> again = Target.consumer(member(groupId, extra))) {
        again.subscribe(List.of(topic));
        pollUntil("assigned again", () -> !again.assignment().isEmpty(), again);
        assertEquals(before, again.assignment());
        MemberDescription m = onlyMember(admin, groupId);
        assertEquals("instance-a", m.groupInstanceId().orElse(null));
        assertNotEquals(memberBefore, m.consumerId(), "the new member id replaced the old one");

        try (KafkaConsumer<String, String> duplicate = Target.consumer(member(groupId, extra))) {
          duplicate.subscribe(List.of(topic));
          pollUntil("the duplicate takes the instance", () -> !duplicate.assignment().isEmpty(), duplicate);
          assertThrows(
              FencedInstanceIdException.class,
              () -> {
                long deadline = System.nanoTime() + Target.TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) again.poll(Duration.ofMillis(100));
              },
              "the older member with the same group.instance.id is fenced");
        }
      }
      admin.deleteConsumerGroups(List.of(groupId));
    }
  }

  static MemberDescription onlyMember(Admin admin, String groupId) throws Exception {
    ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(groupId)).all().get().get(groupId);
    assertEquals(1, group.members().size(), "members: " + group.members());
    return group.members().iterator().next();
  }

  @Test
  void consumerGroupProtocolKip848() throws Exception {
    Target.assumeNoGap(
        "consumer-group-heartbeat",
        "group.protocol=consumer needs ConsumerGroupHeartbeat (API 68), which the broker does not advertise");
    String topic = Target.unique("kip848");
    Target.createTopic(topic, PARTITIONS);
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int p = 0; p < PARTITIONS; p++) producer.send(new ProducerRecord<>(topic, p, "k", "v" + p));
    }
    String groupId = Target.unique("kip848-group");
    Map<String, Object> config = member(groupId, Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"));
    Rebalances first = new Rebalances();
    try (KafkaConsumer<String, String> c1 = Target.consumer(config)) {
      c1.subscribe(List.of(topic), first);
      assertEquals(PARTITIONS, Target.pollAtLeast(c1, PARTITIONS).size());
      assertEquals(PARTITIONS, c1.assignment().size());
      try (KafkaConsumer<String, String> c2 = Target.consumer(config)) {
        c2.subscribe(List.of(topic));
        awaitSplit(topic, c1, c2);
        assertTrue(first.revoked().stream().allMatch(s -> s.size() < PARTITIONS), "incremental: " + first.events());
        ConsumerGroupDescription group = describe(groupId);
        assertEquals(2, group.members().size());
        assertEquals("CONSUMER", group.type().name());
      }
    }
  }
}
