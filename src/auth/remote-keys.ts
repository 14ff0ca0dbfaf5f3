// An OpenID Connect issuer's signing keys, fetched and cached so that the issuer's troubles never
// become the callers' troubles longer than they must:
// - one fetch at a time (discovery and JWKS alike): a burst of requests shares it;
// - every fetch has a deadline (headers and body), so no request waits on a hung issuer for long;
// - keys past their age are still used while a refresh runs in the background or fails;
// - with no key at all, the answer is 503 with Retry-After (an outage is not the caller's bad token).
import { createLocalJWKSet, errors as joseErrors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from "jose";
import { errors, GraphError } from "../domain/errors.js";

export interface RemoteKeysOptions {
  issuer: string;
  /** Explicit JWKS URL; otherwise `jwks_uri` of the issuer's discovery document. */
  jwksUrl?: string;
  /** Deadline of each fetch, in milliseconds. */
  timeoutMs: number;
  /** Keys older than this are refreshed (in the background: the old ones keep serving). */
  maxAgeMs: number;
  /** A token whose `kid` is unknown refreshes the keys at most this often (key rotation); default min(30 s, maxAgeMs). */
  unknownKidCooldownMs?: number;
  /** After a failed fetch with no keys cached, requests are answered 503 at once for this long. */
  failureBackoffMs?: number;
  /** Where a background refresh's failure is reported. */
  onRefreshFailed?: (e: Error) => void;
  now?: () => number;
}

type KeySet = ReturnType<typeof createLocalJWKSet>;

export class IssuerUnavailable extends GraphError {
  constructor(detail: string, retryAfterSeconds: number) {
    super("unavailable", detail, { "retry-after": String(retryAfterSeconds) });
  }
}

export class RemoteKeys {
  private jwksUri: string | undefined;
  private keys: { set: KeySet; fetchedAt: number } | undefined;
  private inflight: Promise<KeySet> | undefined;
  private failedAt = -Infinity;
  private lastError: Error | undefined;
  private readonly now: () => number;
  private readonly cooldownMs: number;
  private readonly backoffMs: number;

  constructor(private readonly o: RemoteKeysOptions) {
    this.jwksUri = o.jwksUrl;
    this.now = o.now ?? Date.now;
    this.cooldownMs = o.unknownKidCooldownMs ?? Math.min(30_000, o.maxAgeMs);
    this.backoffMs = o.failureBackoffMs ?? 1_000;
  }

  /** The key for a token's protected header (jose's getKey contract). */
  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    const set = await this.current();
    try {
      return (await set(header, token)) as CryptoKey;
    } catch (e) {
      // A kid we have never seen may be a key the issuer just rotated in: look again, but not on
      // every such token (anyone can make one up), and keep the old keys if the issuer is down.
      if (!(e instanceof joseErrors.JWKSNoMatchingKey) || !this.keys || this.now() - this.keys.fetchedAt < this.cooldownMs) throw e;
      const fresh = await this.refresh();
      return (await fresh(header, token)) as CryptoKey;
    }
  }

  private async current(): Promise<KeySet> {
    const k = this.keys;
    if (k) {
      if (this.now() - k.fetchedAt >= this.o.maxAgeMs && !this.inflight && this.now() - this.failedAt >= this.backoffMs) {
        this.refresh().catch((e: Error) => this.o.onRefreshFailed?.(e));
      }
      return k.set;
    }
    const since = this.now() - this.failedAt;
    if (!this.inflight && since < this.backoffMs) {
      throw new IssuerUnavailable(this.lastError?.message ?? "The token issuer cannot be reached.", Math.max(1, Math.ceil((this.backoffMs - since) / 1000)));
    }
    return this.refresh();
  }

  /** One fetch at a time; everyone asking meanwhile gets the same answer. */
  private refresh(): Promise<KeySet> {
    this.inflight ??= this.fetchKeys().then(
      (set) => {
        this.inflight = undefined;
        this.keys = { set, fetchedAt: this.now() };
        return set;
      },
      (e: Error) => {
        this.inflight = undefined;
        this.failedAt = this.now();
        this.lastError = e;
        throw new IssuerUnavailable(e.message, Math.max(1, Math.ceil(this.backoffMs / 1000)));
      },
    );
    return this.inflight;
  }

  private async fetchKeys(): Promise<KeySet> {
    if (!this.jwksUri) {
      const url = `${this.o.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      const doc = (await this.fetchJson(url, "configuration")) as { jwks_uri?: unknown };
      if (typeof doc?.jwks_uri !== "string") throw errors.unavailable(`The token issuer's configuration at ${url} has no jwks_uri.`);
      this.jwksUri = doc.jwks_uri;
    }
    const jwks = (await this.fetchJson(this.jwksUri, "keys")) as JSONWebKeySet;
    if (!jwks || !Array.isArray(jwks.keys)) throw errors.unavailable(`The token issuer's keys at ${this.jwksUri} are not a JWKS.`);
    return createLocalJWKSet(jwks);
  }

  private async fetchJson(url: string, what: string): Promise<unknown> {
    let res: Response;
    try {
      // The signal bounds the whole exchange: connecting, the headers and reading the body.
      const signal = AbortSignal.timeout(this.o.timeoutMs);
      res = await fetch(url, { signal, redirect: "follow" });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw errors.unavailable(`The token issuer's ${what} at ${url} answered ${res.status}.`);
      }
      return await res.json();
    } catch (e) {
      if (e instanceof GraphError) throw e;
      const why = (e as Error).name === "TimeoutError" ? `did not answer within ${this.o.timeoutMs} ms` : "cannot be fetched";
      throw errors.unavailable(`The token issuer's ${what} at ${url} ${why}.`);
    }
  }
}
