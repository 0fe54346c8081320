# Shared by bin/auth-server and bin/auth-client: find a JDK 21+ and run the jar. Sourced, not
# executed. Two layouts:
#   installed (the release tarball): lib/auth-server.jar and lib/auth-client.jar; never builds.
#   repository (developers): builds the shaded jars when they are missing or older than the sources.

AUTHGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Prints the major version of the java binary $1, or nothing if it does not run. Reads the JDK's
# `release` file when there is one (no JVM start); only a JDK without one is asked to run.
authgate_java_major() {
  local home release version
  home="$(dirname "$(dirname "$(readlink -f "$1")")")"
  release="$home/release"
  if [ -f "$release" ]; then
    version="$(sed -n 's/^JAVA_VERSION="\([0-9][0-9.]*\).*/\1/p' "$release" | head -n 1)"
    case "$version" in
      1.*) version="${version#1.}" ;;
    esac
    version="${version%%.*}"
    if [ -n "$version" ]; then
      printf '%s\n' "$version"
      return 0
    fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

# Prints the path of a java binary of version 21 or newer: JAVA_HOME, then PATH, then /usr/lib/jvm.
authgate_find_java() {
  local candidate major
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for candidate in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
    candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] || continue
    major="$(authgate_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  echo "authgate: no JDK 21 or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one or set JAVA_HOME" >&2
  return 1
}

# Builds the shaded jars when $1 is missing or any source or POM is newer than it.
authgate_build_if_needed() {
  local jar="$1"
  if [ -f "$jar" ] && [ -z "$(find "$AUTHGATE_ROOT" -path "$AUTHGATE_ROOT/.git" -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -newer "$jar" -print -quit)" ]; then
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

# Prints the jar of module $1: lib/$1.jar when installed, else the repository's shaded jar.
authgate_jar() {
  if [ -f "$AUTHGATE_ROOT/lib/$1.jar" ]; then
    printf '%s\n' "$AUTHGATE_ROOT/lib/$1.jar"
  else
    ls "$AUTHGATE_ROOT/$1/target/$1"-*-all.jar 2>/dev/null | head -n 1 |
      grep . || printf '%s\n' "$AUTHGATE_ROOT/$1/target/$1-0.1.0-SNAPSHOT-all.jar"
  fi
}

# Where the class-data-sharing archive of jar $1 goes: beside a jar we may write, else a per-user
# cache; nothing when neither is writable (a service user without a home, say).
authgate_cds_archive() {
  local jar="$1" name cache
  name="$(basename "${jar%.jar}").jsa"
  if [ -w "$(dirname "$jar")" ]; then
    printf '%s\n' "${jar%.jar}.jsa"
    return 0
  fi
  cache="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/authgate"
  if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
    printf '%s\n' "$cache/$name"
  fi
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
  if [ -f "$cache" ] && [ "$cache" -nt "$jar" ] && [ "$cache" -nt "$(readlink -f "$java")" ]; then
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
    *) training=(keys add training --keys "$lock/keys" --out "$lock/training.credential") ;;
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
  local jar
  jar="$(authgate_jar "$module")"
  local java
  java="$(authgate_find_java)" || exit 1
  if [ ! -f "$AUTHGATE_ROOT/lib/$module.jar" ]; then
    authgate_build_if_needed "$jar" || exit 1
  fi
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
        [ "$(authgate_java_major "$java")" -ge 25 ]; then
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
