// `--tls-cert/--tls-key`: the user's own certificate and key, checked up front so a bad file is
// reported by name at start instead of surfacing as an opaque OpenSSL error on the first handshake.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { TlsConfigError, fsReason, type TlsMaterial } from "./common.js";

export { TlsConfigError, type TlsMaterial } from "./common.js";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const CERT_BEGIN = /-----BEGIN CERTIFICATE-----/;
const KEY_BEGIN = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----/;

/**
 * Reads a PEM certificate file (leaf first, optionally followed by its chain) and a PEM private key
 * file, and checks that the key belongs to the leaf. Returns the certificate blocks (anything else
 * in that file, such as a bundled key, is left out) and the key file as it is.
 */
export async function loadUserCertificate(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const certText = await readText(certFile, "certificate");
  const keyText = await readText(keyFile, "key");

  const blocks = certText.match(CERT_BLOCK);
  if (!blocks) {
    const hint = KEY_BEGIN.test(certText) ? " (it holds a private key: are --tls-cert and --tls-key swapped?)" : "";
    throw new TlsConfigError(`TLS certificate file ${certFile} holds no PEM certificate${hint}`, certFile);
  }
  const chain = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new TlsConfigError(`TLS certificate file ${certFile}: certificate #${i + 1} cannot be parsed`, certFile);
    }
  });

  const begin = KEY_BEGIN.exec(keyText);
  if (!begin) {
    const hint = CERT_BEGIN.test(keyText) ? " (it holds a certificate: are --tls-cert and --tls-key swapped?)" : "";
    throw new TlsConfigError(`TLS key file ${keyFile} holds no PEM private key${hint}`, keyFile);
  }
  if (begin[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(keyText)) {
    throw new TlsConfigError(`TLS key file ${keyFile} is encrypted; Taskdrop needs an unencrypted PEM key`, keyFile);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch {
    throw new TlsConfigError(`TLS key file ${keyFile}: the private key cannot be parsed`, keyFile);
  }
  // Node serves the first certificate as the leaf; that is the one the key must match.
  if (!chain[0]!.checkPrivateKey(key)) {
    throw new TlsConfigError(`TLS key file ${keyFile} does not match the certificate in ${certFile}`, keyFile);
  }
  return { cert: blocks.join("\n") + "\n", key: keyText, created: false, renewed: false };
}

async function readText(path: string, what: "certificate" | "key"): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new TlsConfigError(`cannot read TLS ${what} file ${path}: ${fsReason(err)}`, path);
  }
}
