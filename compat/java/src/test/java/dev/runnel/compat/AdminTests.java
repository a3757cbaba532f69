package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Admin test classes' one client (per class) and their way of expecting a refusal. */
abstract class AdminTests {
  static Admin admin;

  @BeforeAll
  static void connect() {
    admin = Target.admin();
  }

  @AfterAll
  static void close() {
    admin.close();
  }

  interface Call {
    void run() throws Exception;
  }

  /** The cause of the ExecutionException that {@code call} must throw: what an Admin future fails with. */
  static Throwable failure(Call call) {
    return assertThrows(ExecutionException.class, call::run).getCause();
  }
}
