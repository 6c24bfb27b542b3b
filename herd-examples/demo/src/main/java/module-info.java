/** Herd's demo worker: a small HTTP server on the socket its master hands it. */
module dev.herd.examples.demo {
    requires dev.herd.worker;
    requires jdk.unsupported; // sun.misc.Signal: the demo drains on SIGTERM

    exports dev.herd.examples.demo;
}
