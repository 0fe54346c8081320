/**
 * A verified client rotating its own key inside its session (docs/PROTOCOL.md §5.7): the server
 * stores the verifiers of the secret it made, and the keystore does the rest ({@code
 * keystore.SelfRotations}).
 */
package dev.authgate.server.rotation;
