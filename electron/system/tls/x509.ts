/**
 * The X.509 library, ready to use: @peculiar/x509 needs the reflect-metadata polyfill loaded first
 * (its dependency injection asks for it) and a WebCrypto provider (Node's own). Import x509 from
 * here, never from the package directly, so both are always in place.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

export { x509 };
