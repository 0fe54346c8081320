/**
 * The listener and the life of one connection: a virtual thread per connection that reads top to
 * bottom — HELLO, AUTH under one total deadline, WELCOME or REFUSED, then the sealed session — and
 * ends in exactly one {@code auth.accepted} or {@code auth.rejected} audit record.
 */
package dev.authgate.server.connection;
