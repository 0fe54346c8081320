/**
 * JMH benchmarks. Each measures an authgate operation beside a baseline run in the same process
 * (raw X25519, raw AES-GCM, a raw TCP echo, a raw socket copy), because these machines are shared
 * and noisy: compare the two numbers of one run, not numbers across runs.
 */
package dev.authgate.bench;
