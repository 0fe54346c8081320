/**
 * The PROXY protocol (version 2, as HAProxy's {@code doc/proxy-protocol.txt} defines it): the
 * header a TCP load balancer puts in front of a connection to say where it really came from. A pure
 * parser, bytes in and addresses out, with every length checked against a cap before anything is
 * allocated; whether a header is believed is the server's decision (only from trusted proxies).
 */
package dev.authgate.protocol.proxy;
