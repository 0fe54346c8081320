package dev.authgate.server.admin;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin port's TLS certificate and key ({@code serve --admin-tls FILE}): a PKCS#12 file (its
 * password, if any, in {@code --admin-tls-password-file}), or a PEM file holding the certificate
 * chain and an unencrypted PKCS#8 private key. The file must be a regular file that group and
 * others cannot read; the key must belong to the first certificate. Immutable.
 *
 * @param keyStore the key and chain, in memory, under an empty password
 * @param subject the certificate's subject, for the log
 */
public record AdminTls(KeyStore keyStore, String subject) {
  /** The largest certificate file read. */
  static final int MAX_FILE_BYTES = 1024 * 1024;

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  /**
   * Loads {@code file}.
   *
   * @param passwordFile the PKCS#12 password's file (first line), or null for none
   * @throws KeyFileException naming the file and what is wrong with it, never a secret
   */
  public static AdminTls load(Path file, Path passwordFile) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyFileException(file, "--admin-tls " + file + " is not a regular file");
    }
    KeyFiles.requireNotOpenToOthers(file, "600");
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new KeyFileException(file, "--admin-tls " + file + " is over 1 MiB");
    }
    char[] password = new char[0];
    if (passwordFile != null) {
      KeyFiles.requireNotOpenToOthers(passwordFile, "600");
      List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
      password = (lines.isEmpty() ? "" : lines.get(0)).toCharArray();
    }
    byte[] bytes = Files.readAllBytes(file);
    try {
      String text = new String(bytes, StandardCharsets.US_ASCII);
      return text.contains("-----BEGIN ") ? pem(file, text) : pkcs12(file, bytes, password);
    } catch (GeneralSecurityException | IOException e) {
      if (e instanceof KeyFileException k) {
        throw k;
      }
      throw new KeyFileException(
          file,
          "--admin-tls "
              + file
              + " cannot be used: "
              + e.getMessage()
              + " (give a PKCS#12 file, with --admin-tls-password-file if it has a password, or"
              + " a PEM file with the certificate chain and an unencrypted PKCS#8 key)");
    }
  }

  private static AdminTls pkcs12(Path file, byte[] bytes, char[] password)
      throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(bytes), password);
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        PrivateKey key = (PrivateKey) store.getKey(alias, password);
        Certificate[] chain = store.getCertificateChain(alias);
        if (key != null && chain != null && chain.length > 0) {
          return of(file, key, List.of(chain));
        }
      }
    }
    throw new KeyFileException(file, "--admin-tls " + file + " holds no private key entry");
  }

  private static AdminTls pem(Path file, String text) throws GeneralSecurityException, IOException {
    List<Certificate> chain = new ArrayList<>();
    PrivateKey key = null;
    Matcher m = PEM.matcher(text);
    CertificateFactory certificates = CertificateFactory.getInstance("X.509");
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      switch (m.group(1)) {
        case "CERTIFICATE" ->
            chain.add(certificates.generateCertificate(new ByteArrayInputStream(der)));
        case "PRIVATE KEY" -> key = pkcs8(file, der);
        default ->
            throw new KeyFileException(
                file,
                "--admin-tls "
                    + file
                    + " holds a "
                    + m.group(1)
                    + "; give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt -in KEY)");
      }
    }
    if (chain.isEmpty() || key == null) {
      throw new KeyFileException(
          file, "--admin-tls " + file + " must hold a CERTIFICATE and a PRIVATE KEY block");
    }
    return of(file, key, chain);
  }

  private static PrivateKey pkcs8(Path file, byte[] der) throws KeyFileException {
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException notThisOne) {
        // try the next
      }
    }
    throw new KeyFileException(
        file, "--admin-tls " + file + ": the private key is not EC, RSA or EdDSA");
  }

  /** The key and chain, once the key is shown to sign for the first certificate. */
  private static AdminTls of(Path file, PrivateKey key, List<Certificate> chain)
      throws GeneralSecurityException, IOException {
    X509Certificate first = (X509Certificate) chain.get(0);
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> key.getAlgorithm(); // Ed25519, Ed448
        };
    byte[] probe = "authgate admin tls".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(first.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new KeyFileException(
          file, "--admin-tls " + file + ": the private key does not belong to the certificate");
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("admin", key, new char[0], chain.toArray(Certificate[]::new));
    return new AdminTls(store, first.getSubjectX500Principal().getName());
  }
}
