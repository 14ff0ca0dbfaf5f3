// Development certificates for `taskdrop serve --https`: a local CA made once and a server
// certificate it signs for localhost, 127.0.0.1 and ::1, kept in a directory (the server passes
// `<dataDir>/tls`) and reused across starts. Users trust `ca.pem` once (NODE_EXTRA_CA_CERTS, or a
// browser/OS trust store); the server certificate is re-issued by that same CA whenever it nears
// expiry or no longer fits, so the trust set-up survives renewals.
//
// Files: ca.pem, ca-key.pem, server.pem (leaf only: a client that trusts the CA needs nothing
// more, and sending a root in the chain is useless to everyone else), server-key.pem. Keys are
// ECDSA P-256 in PKCS#8 PEM, mode 0600; the directory is 0700. Every file is written to a temp
// name and renamed, and the whole check-and-create runs under a lock file, so two instances
// starting together neither corrupt files nor end up with a CA key that belongs to another CA.
import { X509Certificate, createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TlsConfigError, fsReason, type TlsMaterial } from "./common.js";

export { TlsConfigError, type TlsMaterial } from "./common.js";

const DAY_MS = 86_400_000;
export const CA_LIFETIME_DAYS = 3650;
/** Well under the 398-day ceiling browsers and Apple's TLS policy put on server certificates. */
export const SERVER_LIFETIME_DAYS = 365;
/** Re-issue the server certificate (or re-make the CA) when it has less than this left. */
export const RENEW_WITHIN_DAYS = 30;
/** notBefore is set a little in the past so a client whose clock lags does not reject a fresh cert. */
const BACKDATE_MS = 60 * 60 * 1000;
export const DEFAULT_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];
export const TLS_FILES = {
  caCert: "ca.pem",
  caKey: "ca-key.pem",
  serverCert: "server.pem",
  serverKey: "server-key.pem",
} as const;

const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const SERVER_AUTH_OID = "1.3.6.1.5.5.7.3.1";

/**
 * Makes (first call) or reuses the development CA and server certificate in `dir`.
 * `now` shifts the clock for expiry decisions and new validity periods; `extraHosts` adds DNS
 * names or IP addresses to the server certificate next to localhost, 127.0.0.1 and ::1.
 */
export async function ensureDevCertificates(
  dir: string,
  opts: { now?: Date; extraHosts?: string[] } = {},
): Promise<TlsMaterial & { caFile: string }> {
  const now = opts.now ?? new Date();
  const hosts = normaliseHosts([...DEFAULT_HOSTS, ...(opts.extraHosts ?? [])]);
  const root = resolve(dir);
  await prepareDirectory(root);

  return withLock(root, async () => {
    let created = false;
    let renewed = false;
    let ca = await readUsableCa(root, now);
    if (!ca) {
      ca = await createCa(now);
      // Key first: a crash between the two renames leaves a cert/key mismatch, which the next
      // start detects and repairs, never a CA cert whose key is gone.
      await writeAtomic(root, TLS_FILES.caKey, ca.keyPem, 0o600);
      await writeAtomic(root, TLS_FILES.caCert, ca.certPem, 0o644);
      created = true;
    }
    let leaf = created ? undefined : await readUsableLeaf(root, ca, hosts, now);
    if (!leaf) {
      leaf = await issueServerCert(ca, hosts, now);
      await writeAtomic(root, TLS_FILES.serverKey, leaf.keyPem, 0o600);
      await writeAtomic(root, TLS_FILES.serverCert, leaf.certPem, 0o644);
      renewed = !created;
    }
    if (created || renewed) await syncDirectory(root);
    return { cert: leaf.certPem, key: leaf.keyPem, caFile: join(root, TLS_FILES.caCert), created, renewed };
  });
}

// ---------------------------------------------------------------------------------------------
// Host names

interface SanEntry {
  type: "dns" | "ip";
  value: string;
}

// One or more LDH labels (letters, digits, inner hyphens), at most 63 characters each.
const DNS_NAME = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

function normaliseHosts(names: readonly string[]): SanEntry[] {
  const out: SanEntry[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    let name = raw.trim().toLowerCase();
    if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1); // "[::1]" as in URLs
    if (name.endsWith(".") && !isIP(name)) name = name.slice(0, -1);
    let entry: SanEntry;
    if (isIP(name)) entry = { type: "ip", value: name };
    else if (name.length <= 253 && DNS_NAME.test(name)) entry = { type: "dns", value: name };
    else throw new TlsConfigError(`invalid host name for the development certificate: "${raw}"`);
    const key = `${entry.type}:${entry.value}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(entry);
    }
  }
  return out;
}

function covers(cert: X509Certificate, host: SanEntry): boolean {
  return host.type === "ip"
    ? cert.checkIP(host.value) !== undefined
    : cert.checkHost(host.value, { subject: "never", wildcards: false }) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading what is on disk

interface Pair {
  certPem: string;
  keyPem: string;
  cert: X509Certificate;
  key: KeyObject;
}

/** The cert/key pair stored under these names, or undefined when missing, unparsable or mismatched. */
async function readPair(root: string, certName: string, keyName: string): Promise<Pair | undefined> {
  const certPem = await readIfPresent(join(root, certName));
  const keyPem = await readIfPresent(join(root, keyName));
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key)) return undefined;
    await restrictMode(join(root, keyName), 0o600);
    return { certPem, keyPem, cert, key };
  } catch (err) {
    if (err instanceof TlsConfigError) throw err;
    return undefined; // damaged file: made again below
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TlsConfigError(`cannot read ${path}: ${fsReason(err)}`, path);
  }
}

function validity(cert: X509Certificate): { from: number; to: number } {
  return { from: Date.parse(cert.validFrom), to: Date.parse(cert.validTo) };
}

/** Valid at `now` and for at least RENEW_WITHIN_DAYS more. */
function freshEnough(cert: X509Certificate, now: Date): boolean {
  const { from, to } = validity(cert);
  return from <= now.getTime() && to - now.getTime() > RENEW_WITHIN_DAYS * DAY_MS;
}

async function readUsableCa(root: string, now: Date): Promise<Pair | undefined> {
  const ca = await readPair(root, TLS_FILES.caCert, TLS_FILES.caKey);
  if (!ca) return undefined;
  const usable =
    ca.cert.ca &&
    ca.cert.subject === ca.cert.issuer &&
    ca.cert.verify(ca.cert.publicKey) &&
    // New server certificates are signed with WebCrypto ECDSA P-256, so the CA key must be one.
    ca.key.asymmetricKeyType === "ec" &&
    ca.key.asymmetricKeyDetails?.namedCurve === "prime256v1" &&
    freshEnough(ca.cert, now);
  return usable ? ca : undefined;
}

async function readUsableLeaf(root: string, ca: Pair, hosts: SanEntry[], now: Date): Promise<Pair | undefined> {
  const leaf = await readPair(root, TLS_FILES.serverCert, TLS_FILES.serverKey);
  if (!leaf) return undefined;
  const usable =
    !leaf.cert.ca &&
    leaf.cert.checkIssued(ca.cert) &&
    leaf.cert.verify(ca.cert.publicKey) &&
    (leaf.cert.keyUsage?.includes(SERVER_AUTH_OID) ?? false) &&
    freshEnough(leaf.cert, now) &&
    hosts.every((h) => covers(leaf.cert, h));
  return usable ? leaf : undefined;
}

// ---------------------------------------------------------------------------------------------
// Making certificates

type X509Module = typeof import("@peculiar/x509");
let x509Module: Promise<X509Module> | undefined;

/** Loaded on first need only: starts that reuse existing files never pay for it. */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    await import("reflect-metadata"); // tsyringe, under @peculiar/x509, needs the Reflect metadata API
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return x509Module;
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
}

async function privateKeyPem(x509: X509Module, key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await globalThis.crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function toPair(certPem: string, keyPem: string): Pair {
  return { certPem, keyPem, cert: new X509Certificate(certPem), key: createPrivateKey(keyPem) };
}

async function createCa(now: Date): Promise<Pair> {
  const x509 = await loadX509();
  const keys = await newKeyPair();
  const { KeyUsageFlags } = x509;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // The host name tells apart CAs from several machines once they sit in one trust store.
    name: [{ CN: ["Taskdrop Development CA"] }, { O: ["Taskdrop"] }, { OU: [safeHostname()] }],
    keys,
    signingAlgorithm: SIGNING,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true), // may sign leaves, not other CAs
      new x509.KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return toPair(cert.toString("pem") + "\n", (await privateKeyPem(x509, keys.privateKey)) + "\n");
}

async function issueServerCert(ca: Pair, hosts: SanEntry[], now: Date): Promise<Pair> {
  const x509 = await loadX509();
  const keys = await newKeyPair();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await globalThis.crypto.subtle.importKey(
    "pkcs8",
    ca.key.export({ format: "der", type: "pkcs8" }),
    EC_KEY,
    false,
    ["sign"],
  );
  // AKI must carry the CA's own key identifier so chain builders pair them.
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const aki = caKeyId
    ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
    : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
  // Never outlive the CA: a chain is only as valid as its shortest link.
  const notAfter = Math.min(now.getTime() + SERVER_LIFETIME_DAYS * DAY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: ["localhost"] }, { O: ["Taskdrop development certificate"] }],
    issuer: caCert.subjectName, // the CA's encoded name as is, so issuer/subject compare equal
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: h.type, value: h.value }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      aki,
    ],
  });
  return toPair(cert.toString("pem") + "\n", (await privateKeyPem(x509, keys.privateKey)) + "\n");
}

function safeHostname(): string {
  try {
    return hostname() || "localhost";
  } catch {
    return "localhost";
  }
}

// ---------------------------------------------------------------------------------------------
// Files

async function prepareDirectory(root: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
    await restrictMode(root, 0o700);
  } catch (err) {
    if (err instanceof TlsConfigError) throw err;
    throw new TlsConfigError(`cannot create the TLS directory ${root}: ${fsReason(err)}`, root);
  }
}

/** Removes group/other permissions a file or directory should not have (e.g. a key copied in 0644). */
async function restrictMode(path: string, mode: number): Promise<void> {
  try {
    const st = await stat(path);
    if ((st.mode & 0o777 & ~mode) !== 0) await chmod(path, mode);
  } catch (err) {
    throw new TlsConfigError(`cannot set permissions of ${path}: ${fsReason(err)}`, path);
  }
}

/** Writes to a unique temp file in the same directory, flushes it, then renames over `name`. */
async function writeAtomic(root: string, name: string, data: string, mode: number): Promise<void> {
  const target = join(root, name);
  const tmp = join(root, `.${name}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new TlsConfigError(`cannot write ${target}: ${fsReason(err)}`, target);
  }
}

/** Makes the renames durable; not every platform lets a directory be fsynced, so best effort. */
async function syncDirectory(root: string): Promise<void> {
  try {
    const fh = await open(root, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

// ---------------------------------------------------------------------------------------------
// Lock: one `.lock` file created exclusively; the holder writes "<pid> <instance id>".

const INSTANCE = randomUUID();
const LOCK_NAME = ".lock";
/** Generating two P-256 keys takes milliseconds; a lock this old was left by a crash. */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

async function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(root, LOCK_NAME);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lockPath, "wx", 0o600);
      try {
        await fh.writeFile(`${process.pid} ${INSTANCE}\n`);
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new TlsConfigError(`cannot create ${lockPath}: ${fsReason(err)}`, lockPath);
      }
    }
    if (await lockIsStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new TlsConfigError(
        `${lockPath} is held by another Taskdrop process; remove it if none is running`,
        lockPath,
      );
    }
    await sleep(10 + Math.random() * 40);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function lockIsStale(lockPath: string): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
  } catch {
    return false; // just released (or being written): try again
  }
  if (Date.now() - mtimeMs > LOCK_STALE_MS) return true;
  const [pidText, instance] = text.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || instance === undefined) return false; // half-written
  // Same pid but another instance id: a previous run of this process slot (e.g. pid 1 in a
  // container restarted after a crash).
  if (pid === process.pid) return instance !== INSTANCE;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
