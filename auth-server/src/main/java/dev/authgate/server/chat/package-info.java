/**
 * Chat rooms for verified clients. Every message carries the sender's authenticated id. Each member
 * has a bounded outbound queue drained by its own virtual thread, so fan-out never waits on a
 * member's socket: a member whose queue fills is dropped, and the room carries on.
 */
package dev.authgate.server.chat;
