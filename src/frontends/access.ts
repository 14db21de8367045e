/**
 * Who may use which API group of a frontend: Triton's restricted APIs (a header key and value per group), and
 * ts-triton's closed admin changes (model load and unload, log and trace settings updates refused on a frontend
 * bound to a non-loopback address unless opened). Shared by the HTTP and gRPC frontends, which map their
 * endpoints to groups and answer a denial in their protocol.
 *
 * @module
 */

import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { type ApiGroup, parseRestrictedApis, type Restrictions } from '../config/restricted-apis.ts';
import type { TritonConfig } from '../config/triton-config.ts';
import { log } from '../logger.ts';

/** What goes before a gRPC restriction's key to make its metadata key (Triton's). */
export const GRPC_RESTRICTED_PREFIX = 'triton-grpc-protocol-';

/** Why a request is refused. */
export type Denial =
  /** The group is restricted and the request lacks the header or has another value. */
  | { readonly kind: 'restricted'; readonly header: string }
  /** The request changes the server, which this frontend does not allow. */
  | { readonly kind: 'admin-closed'; readonly group: ApiGroup };

/** Reads a request header (HTTP) or metadata entry (gRPC) by its lowercase name. */
export type HeaderReader = (name: string) => string | undefined;

/** Whether `address` is a loopback address (or `localhost`), reachable from this machine only. */
export function isLoopback(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function sameSecret(actual: string, expected: Buffer): boolean {
  const given = Buffer.from(actual);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The access rules of one frontend. */
export class AccessPolicy {
  readonly #headers = new Map<ApiGroup, { name: string; shown: string; value: Buffer }>();
  readonly #adminOpen: boolean;
  /** The address the frontend listens on, for messages. */
  readonly address: string;

  /**
   * @param restrictions - the frontend's restricted groups.
   * @param prefix - what goes before a restriction's key to make the header name (gRPC's
   *   `triton-grpc-protocol-`; '' for HTTP).
   * @param address - the address the frontend listens on.
   * @param allowRemoteAdmin - serve admin changes on a non-loopback address without a restriction.
   */
  constructor(restrictions: Restrictions, prefix: string, address: string, allowRemoteAdmin: boolean) {
    for (const [group, { key, value }] of restrictions) {
      const shown = prefix + key;
      this.#headers.set(group, { name: shown.toLowerCase(), shown, value: Buffer.from(value) });
    }
    this.address = address;
    this.#adminOpen = allowRemoteAdmin || isLoopback(address);
  }

  /** Whether no request can be refused (the frontend can skip the checks). */
  get open(): boolean {
    return this.#headers.size === 0 && this.#adminOpen;
  }

  /** Whether changes to the server are refused to requests of groups without a restriction. */
  get adminClosed(): boolean {
    return !this.#adminOpen;
  }

  /** Whether some request to `group` can be refused. */
  guards(group: ApiGroup, canChange: boolean): boolean {
    return this.#headers.has(group) || (canChange && !this.#adminOpen);
  }

  /**
   * Why a request to `group` is refused, or undefined when it is served. A restricted group needs its header;
   * a change to the server needs an open admin or a restricted group (whose header then is the key).
   * @param group - the endpoint's API group.
   * @param changes - whether the request changes the server (load, unload, a settings update).
   * @param header - reads the request's headers.
   */
  denial(group: ApiGroup, changes: boolean, header: HeaderReader): Denial | undefined {
    const restricted = this.#headers.get(group);
    if (restricted) {
      const actual = header(restricted.name);
      return actual !== undefined && sameSecret(actual, restricted.value)
        ? undefined
        : { kind: 'restricted', header: restricted.shown };
    }
    return changes && !this.#adminOpen ? { kind: 'admin-closed', group } : undefined;
  }
}

/**
 * The message of an `admin-closed` denial, naming the ways to open it.
 * @param field - the frontend's restriction field (`httpRestrictedApi` or `grpcRestrictedProtocol`).
 */
export function adminClosedMessage(group: ApiGroup, address: string, field: string): string {
  return (
    `this request changes the server ('${group}' API) and is refused on non-loopback address ${address}; ` +
    `restrict the group with TritonConfig.${field} (e.g. '${group}:<header>=<secret>') or set TritonConfig.allowRemoteAdmin`
  );
}

/** The access policy of each frontend; undefined for a frontend that serves every request. */
export function accessPolicies(config: TritonConfig): {
  http: AccessPolicy | undefined;
  grpc: AccessPolicy | undefined;
} {
  const open = (policy: AccessPolicy): AccessPolicy | undefined => (policy.open ? undefined : policy);
  const http = new AccessPolicy(
    parseRestrictedApis(config.httpRestrictedApi, 'httpRestrictedApi'),
    '',
    config.httpAddress,
    config.allowRemoteAdmin,
  );
  const grpc = new AccessPolicy(
    parseRestrictedApis(config.grpcRestrictedProtocol, 'grpcRestrictedProtocol'),
    GRPC_RESTRICTED_PREFIX,
    config.grpcAddress,
    config.allowRemoteAdmin,
  );
  const closed = [
    config.allowHttp && http.adminClosed && 'HTTP',
    config.allowGrpc && grpc.adminClosed && 'gRPC',
  ].filter(Boolean);
  if (closed.length > 0) {
    log.info(
      `${closed.join(' and ')} on a non-loopback address: model load/unload and log/trace settings updates are refused ` +
        'unless their API group is restricted (httpRestrictedApi, grpcRestrictedProtocol) or allowRemoteAdmin is set',
    );
  }
  return { http: open(http), grpc: open(grpc) };
}
