/**
 * The authgate handshake: HELLO, AUTH, WELCOME (or REFUSED), as messages and as one state machine
 * per side. Both sides consume decoded frames and produce frame bytes; neither touches a socket.
 * docs/PROTOCOL.md is the normative description; the test vectors there are unit tests here.
 */
package dev.authgate.protocol.handshake;
