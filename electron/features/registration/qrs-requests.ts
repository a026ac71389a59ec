/**
 * The repository API requests the installer makes, as data (method, path, headers, body), built
 * from the product manifest's registration spec: the same calls against the reference product and
 * the real repository (its paths, the xrfkey query parameter equal to the X-Qlik-Xrfkey header,
 * X-Qlik-User). Pure, so the exact requests are golden-tested.
 */
import type { RegistrationSpec } from '../../product/manifest.js';

export interface QrsRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, xrfkey included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A repository API object as the installer reads it. */
export type QrsObject = Readonly<Record<string, unknown>> & { readonly id: string; readonly modifiedDate?: string };

const XRFKEY = /^[A-Za-z0-9]{16}$/;

/** A filter value quoted for the API ('' doubles a quote). */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Builds one request; `xrfkey` is 16 letters or digits, new for every call. */
function build(spec: RegistrationSpec, xrfkey: string, method: QrsRequest['method'], path: string, query: Readonly<Record<string, string>> = {}, body?: unknown): QrsRequest {
  if (!XRFKEY.test(xrfkey)) throw new Error('an xrfkey is 16 letters or digits');
  const params = new URLSearchParams({ ...query, xrfkey });
  return {
    method,
    path: `/qrs/${path}?${params.toString().replace(/\+/g, '%20')}`,
    headers: {
      'X-Qlik-Xrfkey': xrfkey,
      'X-Qlik-User': spec.apiUser,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

/** The requests of the registration and the monitoring apps steps. */
export function qrsRequests(spec: RegistrationSpec) {
  return {
    /** The node configuration of a host (a list of zero or one). */
    findNode: (x: string, hostname: string) => build(spec, x, 'GET', 'serverNodeConfiguration', { filter: `hostName eq ${quote(hostname)}` }),
    /** A node container for a host: the QMC's Nodes > Create. */
    createNode: (x: string, hostname: string) =>
      build(spec, x, 'POST', 'serverNodeConfiguration/container', {}, { configuration: { name: hostname, hostName: hostname, engineEnabled: true, proxyEnabled: true, schedulerEnabled: true, printingEnabled: true } }),
    /** Starts (or, for a registered node, redoes: Redistribute) the registration; answers the one-time password. */
    startRegistration: (x: string, nodeId: string) => build(spec, x, 'POST', `serverNodeRegistration/start/${encodeURIComponent(nodeId)}`),
    getDataConnection: (x: string, id: string) => build(spec, x, 'GET', `dataconnection/${encodeURIComponent(id)}`),
    getRule: (x: string, id: string) => build(spec, x, 'GET', `systemrule/${encodeURIComponent(id)}`),
    findDataConnection: (x: string, name: string) => build(spec, x, 'GET', 'dataconnection', { filter: `name eq ${quote(name)}` }),
    /** Replaces a data connection; the body carries the modifiedDate it was read with. */
    putDataConnection: (x: string, object: QrsObject) => build(spec, x, 'PUT', `dataconnection/${encodeURIComponent(object.id)}`, {}, object),
    findRule: (x: string, name: string) => build(spec, x, 'GET', 'systemrule', { filter: `name eq ${quote(name)}` }),
    createRule: (x: string, rule: Readonly<Record<string, unknown>>) => build(spec, x, 'POST', 'systemrule', {}, rule),
    putRule: (x: string, object: QrsObject) => build(spec, x, 'PUT', `systemrule/${encodeURIComponent(object.id)}`, {}, object),
    deleteRule: (x: string, id: string) => build(spec, x, 'DELETE', `systemrule/${encodeURIComponent(id)}`),
    /** The site's licence (at most one). */
    getLicense: (x: string) => build(spec, x, 'GET', 'license'),
    /** Adds the licence from a signed licence key (License: Create using signed license key). */
    addLicense: (x: string, key: string) => build(spec, x, 'POST', 'license', {}, { key }),
    /** Replaces the site's licence with another signed key (the body carries the modifiedDate read). */
    putLicense: (x: string, object: QrsObject) => build(spec, x, 'PUT', `license/${encodeURIComponent(object.id)}`, {}, object),
  };
}

/** The rim node's certificate set-up request (on 127.0.0.1) with the one-time password. */
export function certificateSetupRequest(spec: RegistrationSpec, password: string): { readonly url: string; readonly method: 'POST'; readonly headers: Readonly<Record<string, string>>; readonly body: string } {
  return { url: `http://127.0.0.1:${spec.certificateSetupPort}/certificateSetup`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password }) };
}
