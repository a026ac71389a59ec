/**
 * Calls the repository API of this (central) node with its client certificate, through the
 * system's Network. Every call gets a new xrfkey; an answer that is not 2xx is a UserError that
 * names the call and the status.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { joinPath, type Platform } from '../../shared/settings.js';
import type { RegistrationSpec } from '../../product/manifest.js';
import type { Files, Network } from '../../system/types.js';
import { qrsRequests, type QrsObject, type QrsRequest } from './qrs-requests.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new xrfkey: 16 random letters and digits. */
export function newXrfkey(): string {
  return [...randomBytes(16)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}

/** The params every repository-API step of the central node starts from: the API's host, its data folder and the registration spec. */
export const qrsStepTarget = z.object({
  /** The central node (the API's host). */
  hostname: z.string(),
  dataDir: z.string(),
  registration: z.object({
    apiPort: z.number().int(),
    distributionPort: z.number().int(),
    certificateSetupPort: z.number().int(),
    apiUser: z.string(),
    certificates: z.object({ dir: z.string(), clientCert: z.string(), clientKey: z.string(), root: z.string() }),
  }),
});

export interface QrsClientDeps {
  readonly network: Network;
  readonly files: Files;
  readonly platform: Platform;
}

export interface QrsClient {
  readonly requests: ReturnType<typeof qrsRequests>;
  /** Sends a request built with a fresh xrfkey; answers the parsed JSON body (undefined when empty). */
  call<T = unknown>(make: (xrfkey: string) => QrsRequest): Promise<T>;
}

/** A client of the API at https://host:apiPort with the certificates under dataDir. */
export async function openQrsClient(deps: QrsClientDeps, spec: RegistrationSpec, host: string, dataDir: string): Promise<QrsClient> {
  const file = (name: string) => joinPath(deps.platform, dataDir, spec.certificates.dir, name);
  const read = async (name: string) => {
    const text = await deps.files.readText(file(name));
    if (text === undefined) throw new UserError('not-found', `The repository API client certificate ${file(name)} is missing.`, 'Run this on the central node after its repository bootstrap (it makes the certificates).');
    return text;
  };
  const [ca, cert, key] = await Promise.all([read(spec.certificates.root), read(spec.certificates.clientCert), read(spec.certificates.clientKey)]);
  const requests = qrsRequests(spec);
  const base = `https://${host.includes(':') ? `[${host}]` : host}:${spec.apiPort}`;
  return {
    requests,
    async call<T>(make: (xrfkey: string) => QrsRequest): Promise<T> {
      const req = make(newXrfkey());
      const what = `${req.method} ${req.path.split('?')[0] ?? ''}`;
      let res;
      try {
        res = await deps.network.request({ method: req.method, url: `${base}${req.path}`, headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }), tls: { ca, cert, key }, timeoutMs: 30_000 });
      } catch (err) {
        throw new UserError('network', `The repository API at ${base} did not answer ${what}: ${(err as Error).message}.`, `Check that the repository service runs on ${host} and listens on port ${spec.apiPort}.`);
      }
      if (res.status < 200 || res.status > 299) {
        const detail = res.body.slice(0, 300).replace(/\s+/g, ' ');
        throw new UserError(res.status === 409 ? 'conflict' : 'apply-failed', `The repository API refused ${what}: ${res.status}${detail ? ` ${detail}` : ''}.`, 'Check the repository service log on the central node, then run again.');
      }
      if (res.body.trim() === '') return undefined as T;
      try {
        return JSON.parse(res.body) as T;
      } catch {
        throw new UserError('apply-failed', `The repository API answered ${what} with something that is not JSON.`, 'Check the repository service log on the central node.');
      }
    },
  };
}

/** The objects of a list answer (an array of objects with an id). */
export function asObjects(value: unknown, what: string): QrsObject[] {
  if (!Array.isArray(value) || !value.every((o) => typeof o === 'object' && o !== null && typeof (o as { id?: unknown }).id === 'string')) {
    throw new UserError('apply-failed', `The repository API answered ${what} with an unexpected shape.`, 'Check that the product version matches this installer.');
  }
  return value as QrsObject[];
}
