package dev.authgate.protocol.testing;

import java.util.Set;
import java.util.TreeSet;

/** The concrete types under a sealed interface, for tests that must cover every one. */
public final class SealedTypes {
  private SealedTypes() {}

  /** Names of the non-sealed leaves reachable from {@code type} through permitted subclasses. */
  public static Set<String> leaves(Class<?> type) {
    Set<String> into = new TreeSet<>();
    collect(type, into);
    return into;
  }

  private static void collect(Class<?> type, Set<String> into) {
    Class<?>[] permitted = type.getPermittedSubclasses();
    if (permitted == null) {
      into.add(type.getName());
      return;
    }
    for (Class<?> sub : permitted) {
      collect(sub, into);
    }
  }
}
