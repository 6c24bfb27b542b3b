/** Library mode as a modular application: the same main is the master and every worker, on the module path too. */
module dev.herd.examples.library {
    requires dev.herd.core;
    requires dev.herd.worker;
    requires dev.herd.examples.demo;
}
