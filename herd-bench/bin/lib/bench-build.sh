# Sourced by the herd-bench/bin scripts after find-jdk.sh: builds the project when the bench jar or herd.jar is
# missing or older than a source file (HERD_NO_BUILD=1 skips), and makes the start-up caches when they are stale.
# Usage: herd_bench_build NAME (NAME prefixes the build message); then $herd_bench_jar is the benchmark jar.
herd_bench_build() {
  local name=$1
  herd_bench_jar="$root/herd-bench/target/herd-bench.jar"
  local herd_jar="$root/herd-cli/target/herd.jar"
  if [ "${HERD_NO_BUILD:-0}" != "1" ] && herd_bench_needs_build "$herd_jar"; then
    echo "$name: building: ./mvnw -q -B -ntp install -DskipTests -DskipITs" >&2
    # -DskipITs too: install passes the integration-test phase, and failsafe does not read -DskipTests here (it ran
    # the whole end-to-end suite from a benchmark's build)
    (cd "$root" && JAVA_HOME="$HERD_JAVA_HOME" ./mvnw -q -B -ntp install -DskipTests -DskipITs >&2)
    touch "$herd_bench_jar" # Maven leaves an unchanged jar's time alone; the next run must not build again
  fi
  # the masters measured start from the start-up cache, as a user's `bin/herd run` does (made once per build)
  "$root/bin/herd" --make-caches
}

herd_bench_needs_build() {
  [ -f "$herd_bench_jar" ] && [ -f "$1" ] || return 0
  [ -n "$(find "$root" -path "$root/.git" -prune -o -path '*/node_modules' -prune -o \
        \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$herd_bench_jar" -print -quit 2>/dev/null)" ]
}
