// HTTPS test helpers: clients that trust a given CA (and nothing else), certificates a test makes
// itself for `--tls-cert/--tls-key`, and the real CLI started as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { childEnv, CLI } from "./cli.js";
import { call, type Res } from "./http.js";

/** An undici dispatcher whose TLS trust is exactly `ca` (Node's bundled roots are replaced, not extended). */
export function trustingAgent(ca: string | undefined): Agent {
  return new Agent({ connect: ca === undefined ? {} : { ca } });
}

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** `fetch` through the given dispatcher (undici v7's own fetch, so the Agent is always compatible). */
export function fetchVia(agent: Agent): FetchLike {
  return (url, init = {}) => undiciFetch(url, { ...(init as object), dispatcher: agent } as never) as unknown as Promise<Response>;
}

/** `call` from http.ts, over a given fetch. */
export function callVia(
  f: FetchLike,
  method: string,
  url: string,
  o: { token?: string; json?: unknown; body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<Res> {
  return call(method, url, { ...o, fetch: f });
}

/** The TLS reason a refused fetch failed with (undici wraps it in `cause`), e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
export function tlsFailureCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && code !== "UND_ERR_SOCKET") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return String(e);
}

// ---------------------------------------------------------------------------------------------
// A certificate of the test's own making, as a user would bring to --tls-cert/--tls-key

export interface UserCertificate {
  /** PEM of the CA that signed the leaf: what a client must trust. */
  caPem: string;
  /** Leaf then CA, as many servers' fullchain files are laid out. */
  certFile: string;
  /** The leaf's key, PKCS#1 ("BEGIN RSA PRIVATE KEY"), unlike the development certificates' PKCS#8 EC keys. */
  keyFile: string;
  /** A valid key of the same kind that belongs to no certificate here. */
  strangerKeyFile: string;
}

async function x509() {
  await import("reflect-metadata"); // @peculiar/x509's dependency injection needs Reflect metadata
  const m = await import("@peculiar/x509");
  m.cryptoProvider.set(globalThis.crypto);
  return m;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) } as const;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

async function pkcs1Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await globalThis.crypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs1" }).toString();
}

/** Makes a CA and a leaf for localhost/127.0.0.1 signed by it, written into `dir`. */
export async function makeUserCertificate(dir: string): Promise<UserCertificate> {
  const m = await x509();
  const subtle = globalThis.crypto.subtle;
  const now = Date.now();
  const caKeys = await subtle.generateKey(EC, true, ["sign", "verify"]);
  const ca = await m.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0a01",
    name: "CN=Taskdrop test user CA",
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 7 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new m.BasicConstraintsExtension(true, 0, true),
      new m.KeyUsagesExtension(m.KeyUsageFlags.keyCertSign | m.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leafKeys = await subtle.generateKey(RSA, true, ["sign", "verify"]);
  const leaf = await m.X509CertificateGenerator.create({
    serialNumber: "0a02",
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 7 * 86_400_000),
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [
      new m.BasicConstraintsExtension(false, undefined, true),
      new m.KeyUsagesExtension(m.KeyUsageFlags.digitalSignature | m.KeyUsageFlags.keyEncipherment, true),
      new m.ExtendedKeyUsageExtension([m.ExtendedKeyUsage.serverAuth]),
      new m.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
  });
  const stranger = await subtle.generateKey(RSA, true, ["sign", "verify"]);
  const caPem = ca.toString("pem");
  const out: UserCertificate = {
    caPem,
    certFile: join(dir, "fullchain.pem"),
    keyFile: join(dir, "privkey.pem"),
    strangerKeyFile: join(dir, "stranger-key.pem"),
  };
  await writeFile(out.certFile, `${leaf.toString("pem")}\n${caPem}\n`);
  await writeFile(out.keyFile, await pkcs1Pem(leafKeys.privateKey), { mode: 0o600 });
  await writeFile(out.strangerKeyFile, await pkcs1Pem(stranger.privateKey), { mode: 0o600 });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The real CLI serving HTTPS

export interface CliServer {
  /** As printed: "https://127.0.0.1:PORT". */
  url: string;
  port: number;
  /** Everything the CLI printed on stderr up to and including its start banner. */
  banner: string;
  child: ChildProcess;
  /** SIGTERM, and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `taskdrop serve ...` (development tokens) and waits for its whole start banner. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<CliServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "serve", "--log-level", "warn", ...args], {
      env: { ...childEnv(), ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`taskdrop serve did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      stderr += d;
      // The banner's last line says how to stop: wait for all of it.
      const m = /Taskdrop serving (https?:\/\/\S+:(\d+))/.exec(stderr);
      if (m && /Stop with Ctrl-C\n/.test(stderr)) {
        clearTimeout(timer);
        child.stderr!.off("data", onData);
        child.stderr!.resume();
        resolve({
          url: m[1]!,
          port: Number(m[2]),
          banner: stderr,
          child,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            return exited;
          },
        });
      }
    };
    child.stderr!.on("data", onData);
    child.on("error", reject);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`taskdrop serve exited with ${code} before starting; stderr: ${stderr}`));
    });
  });
}
