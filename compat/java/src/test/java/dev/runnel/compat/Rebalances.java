package dev.runnel.compat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/** A rebalance listener that records its callbacks, for the group tests to assert on. */
final class Rebalances implements ConsumerRebalanceListener {
  private final List<String> events = new ArrayList<>();
  private final List<Set<TopicPartition>> revoked = new ArrayList<>();

  @Override
  public synchronized void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    events.add("revoked " + new HashSet<>(partitions));
    revoked.add(new HashSet<>(partitions));
  }

  @Override
  public synchronized void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    events.add("assigned " + new HashSet<>(partitions));
  }

  @Override
  public synchronized void onPartitionsLost(Collection<TopicPartition> partitions) {
    events.add("lost " + new HashSet<>(partitions));
  }

  /** "assigned [...]", "revoked [...]" and "lost [...]", in order; the cooperative protocol's empty callbacks left out. */
  synchronized List<String> events() {
    return events.stream().filter(e -> !e.endsWith(" []")).toList();
  }

  /** Each non-empty set given to onPartitionsRevoked. */
  synchronized List<Set<TopicPartition>> revoked() {
    return revoked.stream().filter(s -> !s.isEmpty()).toList();
  }
}
