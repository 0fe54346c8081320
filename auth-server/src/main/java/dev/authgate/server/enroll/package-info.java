/**
 * Enrollment over a verified token session: the machine's verifiers arrive sealed, the keystore
 * stores them under its lock, and the server can verify the machine at once.
 */
package dev.authgate.server.enroll;
