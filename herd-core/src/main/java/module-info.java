/**
 * Herd's master: the public API is {@code dev.herd} (library mode, the cluster's settings and events); every other
 * package is internal and not exported. The herd CLI, which drives the internals (the runtime, the control plane's
 * protocol, the command records), runs on the class path, where a module's encapsulation does not apply.
 */
// cron-utils is an automatic module (Automatic-Module-Name com.cronutils, no module-info): its name is stable
@SuppressWarnings("requires-automatic")
module dev.herd.core {
    requires java.management;   // Herd: a library-mode master restarts its own JVM options for the workers
    requires java.net.http;     // the ECV monitor's health check
    requires jdk.httpserver;    // the HTTP control API
    requires jdk.unsupported;   // sun.misc.Signal, where the master has no signalfd
    requires org.slf4j;
    requires com.fasterxml.jackson.core;  // the control plane's JSON (ControlJson): the parser and generator
    requires com.fasterxml.jackson.jr.ob; // ... and jackson-jr's objects over them
    requires com.cronutils;     // --reload-at CRON
    requires com.fasterxml.jackson.dataformat.yaml; // settings files (SettingsFile)

    exports dev.herd;

    // jackson-jr writes and reads the command answers (records) by reflection
    opens dev.herd to com.fasterxml.jackson.jr.ob;
    opens dev.herd.command to com.fasterxml.jackson.jr.ob;
    opens dev.herd.control to com.fasterxml.jackson.jr.ob;
    opens dev.herd.runtime to com.fasterxml.jackson.jr.ob; // the state dir's records

    uses dev.herd.MasterRunner;
    provides dev.herd.MasterRunner with dev.herd.runtime.CoreMasterRunner;
}
