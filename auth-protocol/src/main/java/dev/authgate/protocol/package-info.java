/**
 * The authgate wire protocol as pure functions and state machines over bytes and streams.
 *
 * <p>Nothing in this module opens a socket: the server and client modules own the I/O and feed
 * bytes in, so every step of the protocol can be tested by feeding it bytes directly. The single
 * error model is {@link dev.authgate.protocol.ProtocolException}, an {@link java.io.IOException}
 * carrying a {@link dev.authgate.protocol.Reason}.
 */
package dev.authgate.protocol;
