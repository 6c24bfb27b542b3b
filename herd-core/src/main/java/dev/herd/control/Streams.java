package dev.herd.control;

import dev.herd.logs.WorkerLogs;

/** What the local socket can follow live: the events and the workers' log lines. */
record Streams(EventHub events, WorkerLogs logs) {
}
