# Sourced by bin/herd and bin/test. Sets HERD_JAVA_HOME to a JDK whose version is >= 25:
# JAVA_HOME if it is one, else the `java` on PATH, else the newest under /usr/lib/jvm.
# Prints what to install and returns 1 when there is none.
# Every `herd` command runs this first, so it starts no JVM and few processes where it can: a JDK's `release`
# file (every JDK since 9 has one) gives its version, read with shell builtins, and the candidates are tried in
# order, the later ones looked up only when the earlier ones do not do. Its functions answer in REPLY, not on
# stdout: reading stdout ($(...)) forks a subshell, 1-3 ms each on a small VM.

herd_release_value() { # $1 = a JDK home, $2 = a key of its release file; sets REPLY to the value as written, or ""
  local line
  REPLY=""
  [ -f "$1/release" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in "$2="*) REPLY=${line#"$2="}; return 0 ;; esac
  done < "$1/release"
}

herd_java_major() { # $1 = a JDK home; sets REPLY to its major version, or "" when it cannot tell
  local version
  herd_release_value "$1" JAVA_VERSION
  version=${REPLY#\"}
  version=${version%%[!0-9]*}
  if [ -z "$version" ]; then # no release file: ask the JDK itself (a JVM start)
    version=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1)
  fi
  REPLY=$version
}

herd_jdk_candidate() { # $1 = a JDK home; sets HERD_JAVA_HOME and returns 0 when it is a JDK >= 25
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  herd_java_major "$1"
  if [ -n "$REPLY" ] && [ "$REPLY" -ge 25 ]; then
    HERD_JAVA_HOME="$1"
    export HERD_JAVA_HOME
    return 0
  fi
  return 1
}

herd_find_jdk() {
  local candidate
  if [ -n "${JAVA_HOME:-}" ] && herd_jdk_candidate "${JAVA_HOME%/}"; then
    return 0
  fi
  if hash java 2>/dev/null; then
    candidate=${BASH_CMDS[java]} # where PATH finds it, looked up by the shell itself
    [ ! -L "$candidate" ] || candidate=$(readlink -f "$candidate")
    candidate=${candidate%/*} # .../bin
    herd_jdk_candidate "${candidate%/*}" && return 0
  fi
  # the newest JDK >= 25 under /usr/lib/jvm (a link to one, like default-java, is the same JDK)
  local best="" best_major=0 major
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    herd_java_major "$candidate"
    major=$REPLY
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ -n "$best" ]; then
    HERD_JAVA_HOME="$best"
    export HERD_JAVA_HOME
    return 0
  fi
  echo "herd: no JDK 25 or newer found (looked at JAVA_HOME, java on PATH and /usr/lib/jvm/*)." >&2
  echo "herd: install one, e.g. 'apt-get install -y temurin-25-jdk' (Adoptium repository) or 'openjdk-25-jdk', or set JAVA_HOME to it." >&2
  return 1
}
