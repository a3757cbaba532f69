package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.Test;

/** Needs no broker: the install step runs it alone, so that surefire fetches its JUnit provider. */
class ClientVersionTest {
  @Test
  void theClientsUnderTestAreKafka44() {
    assertEquals("4.4.0", AppInfoParser.getVersion());
  }
}
