# Sourced by bin/herd and bin/test. Sets HERD_JAVA_HOME to a JDK whose version is >= 25:
# JAVA_HOME if it is one, else the `java` on PATH, else the newest under /usr/lib/jvm.
# Prints what to install and returns 1 when there is none.

herd_java_major() { # $1 = path to a java binary; prints its major version or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

herd_find_jdk() {
  local candidate major
  local -a candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do candidates+=("${candidate%/}"); done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(herd_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      HERD_JAVA_HOME="$candidate"
      export HERD_JAVA_HOME
      return 0
    fi
  done
  echo "herd: no JDK 25 or newer found (looked at JAVA_HOME, java on PATH and /usr/lib/jvm/*)." >&2
  echo "herd: install one, e.g. 'apt-get install -y temurin-25-jdk' (Adoptium repository) or 'openjdk-25-jdk', or set JAVA_HOME to it." >&2
  return 1
}
