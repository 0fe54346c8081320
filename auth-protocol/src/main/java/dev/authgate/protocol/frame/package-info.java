/**
 * Length-prefixed, typed frames: the only unit that crosses the wire. Sizes are checked against a
 * cap before anything is allocated, so a peer cannot make either side reserve memory it claims.
 */
package dev.authgate.protocol.frame;
