/**
 * The cryptographic primitives the protocol is built from, wrapped so callers cannot misuse them:
 * HMAC-SHA256, SHA-256 and AES-256-GCM from the JDK, HKDF-SHA256 and X25519 from BouncyCastle's
 * lightweight API. Nothing here is hand-rolled. No type in this package prints key material.
 */
package dev.authgate.protocol.crypto;
