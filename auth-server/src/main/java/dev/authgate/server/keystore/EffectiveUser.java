package dev.authgate.server.keystore;

/** Who this process runs as, for checks that trust files only from root or this user. */
public final class EffectiveUser {
  private EffectiveUser() {}

  /** The effective uid of this process (from /proc where there is one, else the real uid). */
  public static int uid() {
    return FileOwnership.EffectiveUid.get();
  }
}
