// Development trust: Taskdrop keeps an ES256 signing key and mints tokens shaped like Entra ID's
// (delegated: scp/oid/preferred_username; app-only: roles, no scp).
import { createHash, randomUUID } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from "jose";

export const DEV_ISSUER = "https://taskdrop.local/dev";
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/** Graph's well-known application id, also accepted as an audience. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function fromJwk(stored: { kid: string; jwk: JWK }): Promise<SigningKey> {
  const { d: _d, ...pub } = stored.jwk;
  return {
    kid: stored.kid,
    privateKey: (await importJWK(stored.jwk, "ES256")) as CryptoKey,
    publicKey: (await importJWK(pub, "ES256")) as CryptoKey,
  };
}

export async function newSigningKeyJson(): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return JSON.stringify({ kid: randomUUID(), jwk: await exportJWK(privateKey) });
}

export async function parseSigningKey(json: string): Promise<SigningKey> {
  return fromJwk(JSON.parse(json));
}

/**
 * The key a server made in `dataDir`, or undefined when there is none. Reads only: a token minted
 * from a key made here would be refused by every server, so minting never creates one.
 */
export async function existingSigningKey(dataDir: string): Promise<SigningKey | undefined> {
  let json: string;
  try {
    json = readFileSync(join(dataDir, "signing-key.json"), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
  return parseSigningKey(json);
}

/** The embedded store keeps the key beside its database, readable by the owner only. */
export async function fileSigningKey(dataDir: string): Promise<SigningKey> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "signing-key.json");
  try {
    return await parseSigningKey(readFileSync(file, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, await newSigningKeyJson(), { mode: 0o600 });
  try {
    // Link, not rename: if another process made the key first, keep theirs.
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(tmp);
  }
  return parseSigningKey(readFileSync(file, "utf8"));
}

/** A stable object id for a development user name, so tokens minted at different times agree. */
export function devUserOid(user: string): string {
  const h = createHash("sha256").update(`taskdrop-user:${user.toLowerCase()}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function devUpn(user: string): string {
  return user.includes("@") ? user : `${user}@taskdrop.local`;
}

export interface MintOptions {
  /** Delegated token for this user name (or UPN). */
  user?: string;
  /** App-only token for this application name. */
  app?: string;
  scopes?: string[];
  roles?: string[];
  expiresInSeconds?: number;
  audience?: string;
  issuer?: string;
  /** Seconds since the epoch to pretend it is (tests mint expired tokens). */
  now?: number;
}

export async function mintToken(key: SigningKey, o: MintOptions): Promise<string> {
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { tid: TENANT, ver: "2.0" };
  if (o.app !== undefined) {
    const appOid = devUserOid(`app:${o.app}`);
    Object.assign(claims, { oid: appOid, sub: appOid, appid: appOid, idtyp: "app", roles: o.roles ?? ["Tasks.ReadWrite.All"] });
  } else {
    const user = o.user ?? "alice";
    const oid = devUserOid(user);
    Object.assign(claims, { oid, sub: oid, preferred_username: devUpn(user), name: user, scp: (o.scopes ?? ["Tasks.ReadWrite"]).join(" ") });
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuer(o.issuer ?? DEV_ISSUER)
    .setAudience(o.audience ?? GRAPH_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now - 60)
    .setExpirationTime(now + (o.expiresInSeconds ?? 24 * 3600))
    .sign(key.privateKey);
}
