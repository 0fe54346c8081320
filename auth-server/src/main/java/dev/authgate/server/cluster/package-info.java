/**
 * State shared by several authgate servers through Redis ({@code serve --redis URL}): penalties
 * (and, as they come, chat and session counts). Every server keeps its own tables and answers from
 * them; Redis carries what each learns to the others, so a lost Redis degrades to servers on their
 * own (reported once) and never refuses a client, and sharing resumes when it returns.
 *
 * <p>Threads: one I/O thread owns the command connection (every write to Redis, the heartbeat and
 * the re-sync after an outage), one subscriber thread owns the pub/sub connection. Connection
 * threads only hand work to the I/O thread through a bounded queue and never wait for Redis.
 */
package dev.authgate.server.cluster;
