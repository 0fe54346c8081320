package dev.authgate.server.connection;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.X25519KeyPool;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.chat.ChatRooms;
import dev.authgate.server.datagram.DatagramEndpoint;
import dev.authgate.server.defence.PenaltyStore;
import dev.authgate.server.defence.RefusalAudit;
import dev.authgate.server.defence.StartupLimit;
import dev.authgate.server.download.PublishedFiles;
import dev.authgate.server.upload.UploadStore;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every connection of one server shares. Immutable; every part is thread-safe.
 *
 * @param config the server configuration
 * @param keys the verifiers handshakes are checked against
 * @param hostKeys the host key that signs each HELLO and the keys WELCOME announces, now
 * @param audit where audit events go
 * @param clock the time source for durations
 * @param randomness the source of challenges and ephemeral keys
 * @param ephemerals handshakes' ephemeral key pairs, made ahead while the server has a spare moment
 * @param deadlines fires handshake deadlines, write deadlines and other non-blocking timers only
 * @param uploads where verified clients' files go
 * @param penalties per-source penalty time
 * @param startups the cap on connections in their handshake
 * @param refusals the aggregated audit of connections refused at accept
 * @param chat the chat rooms
 * @param sessions the count of verified sessions against their caps
 * @param published the files machines may fetch
 * @param datagrams the UDP endpoint for verified datagrams, or null if they are off
 * @param controlBudgets each client's budget for requests that touch shared state or the audit
 */
record ServerContext(
    ServerConfig config,
    VerifierLookup keys,
    java.util.function.Supplier<HostKeySet> hostKeys,
    AuditLog audit,
    Clock clock,
    RandomSource randomness,
    X25519KeyPool ephemerals,
    ScheduledExecutorService deadlines,
    UploadStore uploads,
    PenaltyStore penalties,
    StartupLimit startups,
    RefusalAudit refusals,
    ChatRooms chat,
    SessionCount sessions,
    PublishedFiles published,
    DatagramEndpoint datagrams,
    ControlBudgets controlBudgets) {}
