/**
 * Herd's master: the public API is {@code dev.herd} (library mode, the cluster's settings and events); every other
 * package is internal. The CLI reaches the internals it drives (the runtime, the control plane's protocol, the
 * command records) through qualified exports, so no application can come to depend on them.
 */
module dev.herd.core {
    requires java.management;   // Herd: a library-mode master restarts its own JVM options for the workers
    requires java.net.http;     // the ECV monitor's health check
    requires jdk.httpserver;    // the HTTP control API
    requires jdk.unsupported;   // sun.misc.Signal, where the master has no signalfd
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    exports dev.herd;

    exports dev.herd.command to dev.herd.cli;
    exports dev.herd.control to dev.herd.cli;
    exports dev.herd.runtime to dev.herd.cli;

    // Jackson writes and reads the command answers and events (records) by reflection
    opens dev.herd to com.fasterxml.jackson.databind;
    opens dev.herd.command to com.fasterxml.jackson.databind;
    opens dev.herd.control to com.fasterxml.jackson.databind;

    uses dev.herd.MasterRunner;
    provides dev.herd.MasterRunner with dev.herd.runtime.CoreMasterRunner;
}
