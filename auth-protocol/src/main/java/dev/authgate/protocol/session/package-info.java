/**
 * The session layer after a verified handshake: every message is sealed with AES-256-GCM under
 * per-direction keys and counter nonces, with the frame header as associated data. Chat and upload
 * messages are added to {@link dev.authgate.protocol.session.SessionMessage} as they arrive.
 */
package dev.authgate.protocol.session;
