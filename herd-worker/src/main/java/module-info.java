/** The worker side of Herd: what a worker process uses to talk to its master ({@code dev.herd.worker.Worker}). */
module dev.herd.worker {
    exports dev.herd.worker;
}
