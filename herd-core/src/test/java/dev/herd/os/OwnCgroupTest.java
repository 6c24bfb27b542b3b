package dev.herd.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OwnCgroupTest {
    private static final String PURE_V2 = """
            22 1 0:21 / /proc rw,nosuid - proc proc rw
            30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
            """;
    private static final String HYBRID = """
            31 30 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    @Test
    void serviceCgroupUnderAPureV2Mount() {
        assertThat(OwnCgroup.locate("0::/system.slice/herd.service\n", PURE_V2))
                .isEqualTo(Path.of("/sys/fs/cgroup/system.slice/herd.service"));
    }

    @Test
    void rootCgroupUnderAHybridMountWithV1LinesAround() {
        assertThat(OwnCgroup.locate("4:memory:/x\n1:cpu:/\n0::/\n", HYBRID)).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
    }

    @Test
    void mountOfASubtreeAndEscapedSpaces() {
        String mountinfo = "50 1 0:40 /lxc/box /mnt/my\\040cgroups rw - cgroup2 none rw\n";
        assertThat(OwnCgroup.locate("0::/lxc/box/app\n", mountinfo)).isEqualTo(Path.of("/mnt/my cgroups/app"));
        assertThat(OwnCgroup.locate("0::/lxc/box\n", mountinfo)).isEqualTo(Path.of("/mnt/my cgroups"));
        assertThatThrownBy(() -> OwnCgroup.locate("0::/lxc/boxer\n", mountinfo))
                .hasMessageContaining("/lxc/boxer is not mounted");
    }

    @Test
    void noUnifiedHierarchyIsNamed() {
        assertThatThrownBy(() -> OwnCgroup.locate("4:memory:/\n1:cpu:/\n", HYBRID))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no cgroup v2");
        assertThatThrownBy(() -> OwnCgroup.locate("0::/\n", "22 1 0:21 / /proc rw - proc proc rw\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not mounted");
    }
}
