/** Stream plumbing both ends share: deadlines on writes a peer can stall. */
package dev.authgate.protocol.io;
