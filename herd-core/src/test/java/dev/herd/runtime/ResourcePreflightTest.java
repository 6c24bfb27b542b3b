package dev.herd.runtime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResourcePreflightTest {

    @Test
    void openFilesRefusesWhenTheWorkersWouldNotFit() {
        // 20 open + 64 for the master + 8 per worker = 148
        assertThat(ResourcePreflight.openFiles(8, 147, 20)).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("open files: the limit (RLIMIT_NOFILE) is 147 and 8 workers need about 148")
                .contains("ulimit -n 148", "LimitNOFILE=148"));
        assertThat(ResourcePreflight.openFiles(8, 148, 20)).isEmpty();
        assertThat(ResourcePreflight.openFiles(1024, ResourcePreflight.UNLIMITED, 20)).isEmpty();
    }

    @Test
    void processesCountTheUsersThreadsTheMasterAndOnePerWorker() {
        // 30 running + 16 for the master + 4 workers = 50
        assertThat(ResourcePreflight.processes(4, 49, () -> 30, true)).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("processes: the limit (RLIMIT_NPROC) of this user's processes and threads is 49 and 4 workers need at least 50")
                .contains("ulimit -u", "LimitNPROC="));
        assertThat(ResourcePreflight.processes(4, 50, () -> 30, true)).isEmpty();
        assertThat(ResourcePreflight.processes(4, 49, () -> 30, false)).as("root is not held to RLIMIT_NPROC").isEmpty();
        assertThat(ResourcePreflight.processes(4, ResourcePreflight.UNLIMITED, () -> 30, true)).isEmpty();
    }
}
