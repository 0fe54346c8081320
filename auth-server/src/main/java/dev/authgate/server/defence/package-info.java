/**
 * The server's defences against brute force and floods, modelled on OpenSSH's PerSourcePenalties
 * and MaxStartups: per-source penalty time that refuses a source at accept, before any crypto, and
 * a cap on connections still in their handshake with random early drop. Both are bounded in memory
 * whatever the attacker does.
 */
package dev.authgate.server.defence;
