/** The authgate client: connects, proves it holds its secret, verifies the server, then talks. */
package dev.authgate.client;
