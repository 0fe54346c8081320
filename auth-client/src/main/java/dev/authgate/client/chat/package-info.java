/** Chat over a verified connection: a client API, and the formats the chat command prints. */
package dev.authgate.client.chat;
