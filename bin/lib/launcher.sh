# Shared by bin/auth-server and bin/auth-client: find a JDK 21+ and run the jar. Sourced, not
# executed. Two layouts:
#   installed (the release tarball): lib/auth-server.jar and lib/auth-client.jar; never builds.
#   repository (developers): builds the shaded jars when they are missing or older than the sources.

AUTHGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The launcher runs before every command, `ping` included, so it starts no process it can avoid:
# paths are cut with parameter expansion and files read with `read` (each fork and exec costs a
# few milliseconds here; the launcher took ~70 ms of a 0.25 s ping before).

# Sets AUTHGATE_MAJOR to the major version of the java binary $1, or to nothing if it does not
# run. Reads the JDK's `release` file when there is one (no JVM start); only a JDK without one is
# asked to run.
authgate_read_major() {
  local java="$1" home line version=""
  AUTHGATE_MAJOR=""
  [ -L "$java" ] && java="$(readlink -f "$java")"
  home="${java%/*}"
  home="${home%/*}"
  if [ -f "$home/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        JAVA_VERSION=*)
          version="${line#JAVA_VERSION=}"
          version="${version//\"/}"
          break
          ;;
      esac
    done <"$home/release"
    case "$version" in
      1.*) version="${version#1.}" ;;
    esac
    version="${version%%[!0-9]*}"
    if [ -n "$version" ]; then
      AUTHGATE_MAJOR="$version"
      return 0
    fi
  fi
  AUTHGATE_MAJOR="$("$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1)"
}

# Prints the major version of the java binary $1, or nothing if it does not run.
authgate_java_major() {
  authgate_read_major "$1"
  printf '%s\n' "$AUTHGATE_MAJOR"
}

# Sets AUTHGATE_JAVA to a java binary of version 21 or newer and AUTHGATE_JAVA_MAJOR to its
# version: JAVA_HOME, then PATH, then the newest in /usr/lib/jvm. Fails, saying so, if none.
authgate_locate_java() {
  local candidate dir best="" best_major=0
  AUTHGATE_JAVA=""
  AUTHGATE_JAVA_MAJOR=""
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    authgate_read_major "$JAVA_HOME/bin/java"
    if [ -n "$AUTHGATE_MAJOR" ] && [ "$AUTHGATE_MAJOR" -ge 21 ]; then
      AUTHGATE_JAVA="$JAVA_HOME/bin/java" AUTHGATE_JAVA_MAJOR="$AUTHGATE_MAJOR"
      return 0
    fi
  fi
  local IFS=:
  for dir in $PATH; do
    if [ -n "$dir" ] && [ -f "$dir/java" ] && [ -x "$dir/java" ]; then
      authgate_read_major "$dir/java"
      if [ -n "$AUTHGATE_MAJOR" ] && [ "$AUTHGATE_MAJOR" -ge 21 ]; then
        AUTHGATE_JAVA="$dir/java" AUTHGATE_JAVA_MAJOR="$AUTHGATE_MAJOR"
        return 0
      fi
      break # the java a user would run; only it counts from PATH
    fi
  done
  unset IFS
  for candidate in /usr/lib/jvm/*/bin/java; do
    [ -x "$candidate" ] || continue
    authgate_read_major "$candidate"
    if [ -n "$AUTHGATE_MAJOR" ] && [ "$AUTHGATE_MAJOR" -ge 21 ] &&
      [ "$AUTHGATE_MAJOR" -gt "$best_major" ]; then
      best="$candidate" best_major="$AUTHGATE_MAJOR"
    fi
  done
  if [ -n "$best" ]; then
    AUTHGATE_JAVA="$best" AUTHGATE_JAVA_MAJOR="$best_major"
    return 0
  fi
  echo "authgate: no JDK 21 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one or set JAVA_HOME" >&2
  return 1
}

# Prints the path of a java binary of version 21 or newer (see authgate_locate_java).
authgate_find_java() {
  authgate_locate_java || return 1
  printf '%s\n' "$AUTHGATE_JAVA"
}

# Builds the shaded jars when $1 is missing or any source or POM is newer than it.
authgate_build_if_needed() {
  local jar="$1"
  # Only what goes into a jar: the POMs, the modules' main sources and the build's own tools.
  if [ -f "$jar" ] && [ -z "$(find "$AUTHGATE_ROOT"/pom.xml "$AUTHGATE_ROOT"/auth*/pom.xml \
      "$AUTHGATE_ROOT"/auth*/src/main "$AUTHGATE_ROOT"/tools/build -newer "$jar" -print -quit \
      2>/dev/null)" ]; then
    return 0
  fi
  echo "authgate: building (first run or sources changed)..." >&2
  (cd "$AUTHGATE_ROOT" && ./mvnw -q -B -DskipTests -Dspotless.check.skip=true package) >&2 || {
    echo "authgate: build failed; run ./mvnw -B package in $AUTHGATE_ROOT to see why" >&2
    return 1
  }
  # Maven leaves a jar it found up to date untouched, and a POM edit that changes no class would
  # then make every later start build again: the jars now match the sources, so say so.
  touch "$AUTHGATE_ROOT"/auth-*/target/auth-*-all.jar 2>/dev/null || true
}

# Sets AUTHGATE_JAR to the jar of module $1: lib/$1.jar when installed, else the repository's
# shaded jar.
authgate_locate_jar() {
  local found
  AUTHGATE_JAR="$AUTHGATE_ROOT/lib/$1.jar"
  [ -f "$AUTHGATE_JAR" ] && return 0
  AUTHGATE_JAR="$AUTHGATE_ROOT/$1/target/$1-0.1.0-SNAPSHOT-all.jar"
  for found in "$AUTHGATE_ROOT/$1/target/$1"-*-all.jar; do
    if [ -f "$found" ]; then
      AUTHGATE_JAR="$found"
      return 0
    fi
  done
}

# Prints the jar of module $1 (see authgate_locate_jar).
authgate_jar() {
  authgate_locate_jar "$1"
  printf '%s\n' "$AUTHGATE_JAR"
}

# Where the class-data-sharing archive of jar $1 goes: beside a jar the build just made (a
# module's target/), else in the user's cache ($XDG_CACHE_HOME/authgate, or ~/.cache/authgate:
# for the service user, under its state directory /var/lib/authgate); never into an installed
# tree, which may be read-only and is shared by every user. Nothing when no cache is writable.
authgate_cds_archive() {
  local jar="$1" name cache base where
  case "$jar" in
    */target/*.jar)
      # A module's build output in a checkout (its pom.xml beside target/), not an installed tree
      # that happens to live under a directory called target.
      if [ -f "${jar%/target/*}/pom.xml" ] && [ -w "${jar%/*}" ]; then
        printf '%s\n' "${jar%.jar}.jsa"
        return 0
      fi
      ;;
  esac
  # Every release names its jars lib/auth-*.jar: one cache per installed directory, so two
  # versions side by side never take each other's archive.
  where="$(cd "${jar%/*}" 2>/dev/null && pwd -P)"
  name="${jar##*/}"
  name="${name%.jar}-$(printf '%s' "$where" | cksum | cut -d' ' -f1).jsa"
  base="${XDG_CACHE_HOME:-}"
  case "$base" in
    /*) ;;
    *) base="${HOME:-/nonexistent}/.cache" ;; # unset or relative: the XDG default
  esac
  cache="$base/authgate"
  if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
    authgate_prune_caches "$cache" "$where" "${name%.jsa}"
    printf '%s\n' "$cache/$name"
  fi
}

# Keeps a user's cache from growing with every release unpacked and removed: each archive's
# installed directory is written beside it ($2 for archive $3), and once a day the archives of
# directories that no longer exist are deleted.
authgate_prune_caches() {
  local cache="$1" where="$2" archive="$3" dir stem
  [ -f "$cache/$archive.dir" ] || printf '%s\n' "$where" >"$cache/$archive.dir" 2>/dev/null
  if [ -n "$(find "$cache/.pruned" -mmin -1440 2>/dev/null)" ]; then
    return 0
  fi
  : >"$cache/.pruned" 2>/dev/null || return 0
  for dir in "$cache"/*.dir; do
    [ -f "$dir" ] || continue
    if [ ! -d "$(head -n 1 "$dir")" ]; then
      stem="${dir%.dir}"
      rm -rf "$stem.jsa" "$stem.aot" "$stem.aot.lock" "$dir" 2>/dev/null
    fi
  done
}

# JDK 25's ahead-of-time cache for the short commands (`auth-client ping`, `auth-server keys`): the
# classes they load, already parsed and linked, and their method profiles, recorded from a training
# run. A ping starts about a quarter faster with it than with class data sharing alone
# (docs/PERFORMANCE.md, "Start-up"). The JVM prints on stdout while it records and assembles a
# cache, so that never happens in the user's own run: the first short command that finds no cache
# (or one older than the jar or the JDK) starts a training of its own in the background — a ping
# against a throwaway verifier on loopback, or `keys add` in a scratch keystore — one builder at a
# time (a directory as the lock, taken over after five minutes if a builder died), and the cache
# is moved into place whole. Prints the option to use, or nothing while there is no cache yet.
authgate_aot_cache() {
  local module="$1" jar="$2" java="$3" cache="$4"
  local real="$java"
  [ -L "$real" ] && real="$(readlink -f "$real")"
  if [ -f "$cache" ] && [ "$cache" -nt "$jar" ] && [ "$cache" -nt "$real" ]; then
    printf '%s\n' "-XX:AOTCache=$cache"
    return 0
  fi
  local lock="$cache.lock"
  if ! mkdir "$lock" 2>/dev/null; then
    [ -n "$(find "$lock" -maxdepth 0 -mmin +5 2>/dev/null)" ] || return 0
    rm -rf "$lock" && mkdir "$lock" 2>/dev/null || return 0
  fi
  local training=()
  case "$module" in
    auth-client) training=(startup-training) ;;
    *) training=(keys add training --keys "$lock/keys" --out "$lock/training.credential"
      --audit-log "$lock/audit.jsonl") ;; # its own log: never the operator's
  esac
  (
    trap 'rm -rf "$lock"' EXIT
    "$java" -XX:AOTMode=record -XX:AOTConfiguration="$lock/aot.conf" -XX:TieredStopAtLevel=1 \
      -jar "$jar" "${training[@]}" &&
      "$java" -XX:AOTMode=create -XX:AOTConfiguration="$lock/aot.conf" \
        -XX:AOTCache="$lock/aot.cache" -cp "$jar" &&
      mv -f "$lock/aot.cache" "$cache"
  ) </dev/null >/dev/null 2>&1 &
}

# Runs module $1's jar with the remaining arguments.
authgate_run() {
  local module="$1"
  shift
  authgate_locate_jar "$module"
  local jar="$AUTHGATE_JAR"
  authgate_locate_java || exit 1
  local java="$AUTHGATE_JAVA"
  if [ ! -f "$AUTHGATE_ROOT/lib/$module.jar" ]; then
    authgate_build_if_needed "$jar" || exit 1
  fi
  # File names and arguments are bytes; the JVM decodes them with the locale's character set, which
  # under cron, systemd or `env -i` is POSIX's ASCII: a name like café.txt arrives as caf??.txt and
  # cannot be opened, stored or moved. The same happens under a UTF-8 locale that is not installed
  # (LANG=en_US.UTF-8 in a minimal container): the C library falls back to POSIX. So where no
  # character set was chosen (no locale, C, POSIX) or UTF-8 was, the JVM gets C.UTF-8, which is
  # always there; a locale naming another character set (Latin-1) is left as it is. A name whose
  # bytes are not text in the character set used is refused, saying so, not mangled.
  case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
    "" | C | POSIX | *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) export LC_ALL=C.UTF-8 ;;
  esac
  # Java cannot ask whether stderr is a terminal; progress bars need to know.
  if [ -t 2 ]; then export AUTHGATE_STDERR_TTY=1; else export AUTHGATE_STDERR_TTY=0; fi
  # Class data sharing: the first run writes an archive of the classes it loaded beside the jar
  # (the JVM rebuilds it when the jar or the JDK changes); later runs map it instead of loading
  # and verifying those classes again, which is most of a short command's start-up.
  local cds=() archive="" aot=""
  [ -z "${AUTHGATE_NO_CDS:-}" ] && archive="$(authgate_cds_archive "$jar")"
  case "$module:${1:-}" in
    auth-client:ping | auth-server:keys)
      if [ -n "$archive" ] && [ -z "${AUTHGATE_NO_AOT:-}" ] &&
        [ "$AUTHGATE_JAVA_MAJOR" -ge 25 ]; then
        aot="$(authgate_aot_cache "$module" "$jar" "$java" "${archive%.jsa}.aot")"
      fi
      ;;
  esac
  if [ -n "$aot" ]; then
    cds=("$aot" -Xlog:aot=off -Xlog:cds=off)
  elif [ -n "$archive" ]; then
    # Quiet: after a rebuild the old archive no longer matches; the JVM says so, then rebuilds it.
    cds=(-XX:SharedArchiveFile="$archive" -XX:+AutoCreateSharedArchive -Xlog:cds=off
      -Xlog:cds+dynamic=off)
  fi
  # Commands that live for a fraction of a second spend more on the optimising compiler than it
  # saves them: `ping` and `keys` run with the quick compiler only (0.27 s instead of 0.39 s wall
  # for a ping here). Bulk commands need the optimising one: it is what uses the CPU's AES, GHASH
  # and SHA instructions (an upload with the quick compiler alone runs at a tenth of the speed).
  local jit=()
  case "$module:${1:-}" in
    auth-client:ping | auth-server:keys) jit=(-XX:TieredStopAtLevel=1) ;;
  esac
  exec "$java" "${cds[@]}" "${jit[@]}" ${AUTHGATE_JAVA_OPTS:-} -jar "$jar" "$@"
}
