/**
 * The key-file formats and the rules for handling them on disk: client credentials (which hold the
 * secret and live on the client machine) and verifier files (which hold only StoredKey and
 * ServerKey and live in the server's keystore directory). Both are small UTF-8 text files of {@code
 * name value} lines with base64 keys, written atomically with mode 0600 and refused when group or
 * others can read them.
 */
package dev.authgate.protocol.keyfile;
