/**
 * The TLS settings of a frontend (Triton's `--grpc-use-ssl*` names, and the same for HTTP): checked and their
 * PEM files read once at start-up, with messages naming the field.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { invalidArg } from '../errors.ts';
import { log } from '../logger.ts';
import type { TritonConfig } from './triton-config.ts';

/** A frontend's certificate, key and (for mutual TLS) the CA certificates of its clients, as PEM text. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The CA certificates client certificates must chain to ('' field: none). */
  readonly ca: Buffer | undefined;
  /** Whether clients must present a certificate signed by `ca`. */
  readonly mutual: boolean;
}

type Frontend = 'http' | 'grpc';

/** The TLS fields of each frontend. */
const FIELDS = {
  http: {
    useSsl: 'httpUseSsl',
    mutual: 'httpUseSslMutual',
    cert: 'httpServerCert',
    key: 'httpServerKey',
    root: 'httpRootCert',
  },
  grpc: {
    useSsl: 'grpcUseSsl',
    mutual: 'grpcUseSslMutual',
    cert: 'grpcServerCert',
    key: 'grpcServerKey',
    root: 'grpcRootCert',
  },
} as const;

function read(field: string, path: string): Buffer {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (error) {
    throw invalidArg(`TritonConfig.${field}: cannot read '${path}': ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw invalidArg(`TritonConfig.${field}: '${path}' holds no PEM block`);
  return text;
}

/**
 * The TLS files of `frontend`, or undefined when it serves without TLS.
 * @throws {TritonError} INVALID_ARG naming the field that is missing, unreadable, or does not fit the others.
 */
export function loadTls(config: TritonConfig, frontend: Frontend): TlsFiles | undefined {
  const f = FIELDS[frontend];
  const mutual = config[f.mutual];
  const paths = { cert: config[f.cert], key: config[f.key], root: config[f.root] };
  if (!config[f.useSsl] && !mutual) {
    const set = [f.cert, f.key, f.root].filter((name) => config[name] !== '');
    if (set.length > 0)
      log.warn(
        `TritonConfig.${set.join(', ')} set but ${f.useSsl} is false: ${frontend === 'http' ? 'HTTP' : 'gRPC'} serves without TLS`,
      );
    return undefined;
  }
  const enabledBy = mutual ? f.mutual : f.useSsl;
  const required: [string, string][] = [
    [f.cert, paths.cert],
    [f.key, paths.key],
  ];
  if (mutual) required.push([f.root, paths.root]);
  for (const [name, path] of required) {
    if (path === '') throw invalidArg(`TritonConfig.${name} must name a PEM file when ${enabledBy} is true`);
  }
  const files: TlsFiles = {
    cert: read(f.cert, paths.cert),
    key: read(f.key, paths.key),
    ca: paths.root === '' ? undefined : read(f.root, paths.root),
    mutual,
  };
  try {
    createSecureContext({ cert: files.cert, key: files.key, ...(files.ca ? { ca: files.ca } : {}) });
  } catch (error) {
    throw invalidArg(`TritonConfig.${f.cert}, ${f.key}${files.ca ? `, ${f.root}` : ''}: ${(error as Error).message}`);
  }
  return files;
}

/** The TLS files of each enabled frontend (undefined: plain text). */
export function loadFrontendTls(config: TritonConfig): { http: TlsFiles | undefined; grpc: TlsFiles | undefined } {
  return {
    http: config.allowHttp ? loadTls(config, 'http') : undefined,
    grpc: config.allowGrpc ? loadTls(config, 'grpc') : undefined,
  };
}
