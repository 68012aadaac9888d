import { createHash, timingSafeEqual } from 'node:crypto';
import {
  isLoopbackAddress,
  openAccessKinds,
  type HeartbeatAccessKind,
} from '../core/access.js';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { ResolvedHeartbeatAuth } from '../interfaces/heartbeat-access.interface.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';

/**
 * What a request may do once its token is checked: the kind that let it in (`open` when the
 * kind needs no token) and, for a ping token, its prefix and quota.
 * @publicApi
 */
export interface HeartbeatAccessGrant {
  readonly kind: HeartbeatAccessKind | 'open';
  /** App IDs must start with it (`''`: any). */
  readonly prefix: string;
  /** Most live apps the token may hold; `undefined`: no quota. */
  readonly maxApps: number | undefined;
  /** Which ping token, for its quota. @internal */
  readonly quotaKey?: number;
}

/**
 * Refusals since start, by reason (for metrics).
 * @publicApi
 */
export interface HeartbeatAccessRefusals {
  /** No token, or none that is configured: `401`. */
  unauthorized: number;
  /** A valid token of another kind, or an app ID outside its prefix: `403`. */
  forbidden: number;
  /** A ping token at its app quota: `403`. */
  quota: number;
}

interface KnownToken {
  readonly digest: Buffer;
  readonly kind: HeartbeatAccessKind;
  readonly prefix: string;
  readonly maxApps: number | undefined;
  readonly quotaKey?: number;
}

const OPEN: HeartbeatAccessGrant = Object.freeze({
  kind: 'open',
  prefix: '',
  maxApps: undefined,
});

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The access rules of one registry, written once for every face: which token (if any) a kind
 * needs, whether a ping token may use an app ID, and each ping token's app quota. Tokens are
 * compared in constant time over SHA-256 digests (equal length whatever was sent), against
 * every configured token, so timing says nothing about how close a guess was. A refusal throws
 * a `HeartbeatError` (`unauthorized` → 401, `forbidden` → 403), is counted, and happens before
 * anything touches the store.
 *
 * @publicApi
 */
export class HeartbeatAccessControl {
  /** Refusals since start, by reason. */
  readonly refusals: Readonly<HeartbeatAccessRefusals> = {
    unauthorized: 0,
    forbidden: 0,
    quota: 0,
  };
  private readonly tokens: KnownToken[] = [];
  private readonly open: ReadonlySet<HeartbeatAccessKind>;
  /** Per quota'd ping token: the IDs it holds, as far as this process knows. */
  private readonly held = new Map<number, Set<string>>();
  private warned = false;
  /** The last address found to be loopback: the request path checks it once, not per request. */
  private loopback?: string;

  constructor(
    auth: ResolvedHeartbeatAuth,
    /** Whether an app is still known (a quota frees the IDs that were dropped or removed). */
    private readonly isLive: (appId: string) => Promise<boolean>,
  ) {
    auth.ping.forEach((ping, i) =>
      this.tokens.push({
        digest: digestOf(ping.token),
        kind: 'ping',
        prefix: ping.prefix,
        maxApps: ping.maxApps,
        quotaKey: ping.maxApps === undefined ? undefined : i,
      }),
    );
    for (const kind of ['read', 'admin'] as const) {
      for (const token of auth[kind]) {
        this.tokens.push({
          digest: digestOf(token),
          kind,
          prefix: '',
          maxApps: undefined,
        });
      }
    }
    this.open = new Set(openAccessKinds(auth));
    // Nothing open, nothing to warn about.
    this.warned = this.open.size === 0;
  }

  /** Whether any token is configured (when not, every check passes without hashing). */
  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  /** Whether `kind` needs no token. */
  isOpen(kind: HeartbeatAccessKind): boolean {
    return this.open.has(kind);
  }

  /**
   * Checks the tokens a request carries (a header's and a path segment's; `undefined` for none)
   * for `kind`: the first that allows it wins. Throws `unauthorized` when none is a configured
   * token, `forbidden` when one is but of a kind that does not allow this.
   */
  authorize(
    kind: HeartbeatAccessKind,
    candidates: ReadonlyArray<string | undefined>,
  ): HeartbeatAccessGrant {
    if (this.open.has(kind)) return OPEN;
    let known = false;
    for (const candidate of candidates) {
      if (candidate === undefined) continue;
      const token = this.lookup(candidate);
      if (!token) continue;
      known = true;
      if (token.kind === 'admin' || token.kind === kind) {
        return token.kind === 'admin'
          ? { kind: 'admin', prefix: '', maxApps: undefined }
          : {
              kind: token.kind,
              prefix: token.prefix,
              maxApps: token.maxApps,
              quotaKey: token.quotaKey,
            };
      }
    }
    if (known)
      throw this.refuse('forbidden', HeartbeatMessages.wrongTokenKind(kind));
    throw this.refuse('unauthorized', HeartbeatMessages.missingToken());
  }

  /** Whether `candidate` is a configured token of any kind (for routing `/<token>/hb_ping`). */
  isToken(candidate: string): boolean {
    return this.tokens.length > 0 && this.lookup(candidate) !== undefined;
  }

  /** Refuses an app ID outside the grant's prefix (`forbidden`). */
  checkAppId(grant: HeartbeatAccessGrant, appId: string): void {
    if (!appId.startsWith(grant.prefix)) {
      throw this.refuse(
        'forbidden',
        HeartbeatMessages.outsideTokenPrefix(appId, grant.prefix),
      );
    }
  }

  /**
   * Takes a place in the grant's quota for `appId` before it is registered or pinged. Resolves
   * `true` when a place was taken (give it back with {@link release} if the registration then
   * fails), `false` when none was needed. At the quota, the IDs held are first checked against
   * the registry (those dropped or removed since, here or on another replica, are freed); if
   * it is still full the ID is refused (`forbidden`, counted as `quota`).
   */
  async reserve(grant: HeartbeatAccessGrant, appId: string): Promise<boolean> {
    if (grant.maxApps === undefined || grant.quotaKey === undefined) {
      return false;
    }
    let held = this.held.get(grant.quotaKey);
    if (!held) this.held.set(grant.quotaKey, (held = new Set()));
    if (held.has(appId)) return false;
    if (held.size >= grant.maxApps) {
      const ids = [...held];
      const live = await Promise.all(ids.map((id) => this.isLive(id)));
      ids.forEach((id, i) => {
        if (!live[i]) held.delete(id);
      });
      if (held.has(appId)) return false;
      if (held.size >= grant.maxApps) {
        throw this.refuse(
          'quota',
          HeartbeatMessages.tokenQuotaReached(grant.maxApps),
        );
      }
    }
    held.add(appId);
    return true;
  }

  /** Gives back a quota place (after `hb_done`, or a registration that failed). */
  release(grant: HeartbeatAccessGrant, appId: string): void {
    if (grant.quotaKey !== undefined)
      this.held.get(grant.quotaKey)?.delete(appId);
  }

  /**
   * Logs, once per process, that the server is reachable beyond this machine with some kind
   * open. Called with the listening address at start-up and with the local address of requests,
   * so embedded servers and the middleware warn too.
   */
  warnIfOpen(address: string | undefined, logger: HeartbeatLogger): void {
    if (this.warned || address === undefined || address === this.loopback) {
      return;
    }
    if (isLoopbackAddress(address)) {
      this.loopback = address;
      return;
    }
    this.warned = true;
    logger.warn(HeartbeatMessages.openAccess(address, [...this.open]));
  }

  /** Whether {@link warnIfOpen} has nothing left to do (cheap check for the request path). */
  get warnSettled(): boolean {
    return this.warned;
  }

  /** The configured token equal to `candidate`, compared in constant time against all. */
  private lookup(candidate: string): KnownToken | undefined {
    const digest = digestOf(candidate);
    let found: KnownToken | undefined;
    for (const token of this.tokens) {
      if (timingSafeEqual(token.digest, digest) && !found) found = token;
    }
    return found;
  }

  private refuse(
    reason: keyof HeartbeatAccessRefusals,
    message: string,
  ): HeartbeatError {
    (this.refusals as HeartbeatAccessRefusals)[reason]++;
    return new HeartbeatError(
      reason === 'unauthorized' ? 'unauthorized' : 'forbidden',
      message,
    );
  }
}
