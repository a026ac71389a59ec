/**
 * The one object that carries every side effect into the engine and the features, built at the
 * composition root (CLI, agent, Electron main) for the machine it runs on.
 */
import type { Platform } from '../shared/settings.js';
import { createPostgres, type Postgres } from './postgres/index.js';
import { NodeNetwork } from './node-network.js';
import { PosixFiles } from './posix-files.js';
import { PosixProcesses } from './posix-processes.js';
import { PosixSecretStore } from './posix-secret-store.js';
import { RunitServiceManager } from './services/runit.js';
import { SystemdServiceManager } from './services/systemd.js';
import { detectServiceManager } from './services/detect.js';
import type { Files, Network, Processes, SecretStore, ServiceManager } from './types.js';

export interface System {
  readonly platform: Platform;
  readonly files: Files;
  readonly processes: Processes;
  readonly network: Network;
  readonly services: ServiceManager;
  readonly secretStore: SecretStore;
  readonly postgres: Postgres;
}

export interface SystemOptions {
  readonly serviceManager?: 'auto' | 'runit' | 'systemd' | 'windows';
  /** runit: the supervised directory (default /etc/service). */
  readonly runitDir?: string;
  /** runit: where service definitions live (default /etc/sv). */
  readonly definitionsDir?: string;
}

/** The system of this (POSIX) machine. */
export function createPosixSystem(options: SystemOptions = {}): System {
  const processes = new PosixProcesses();
  const files = new PosixFiles(processes);
  const network = new NodeNetwork();
  const kind = detectServiceManager('linux', options.serviceManager ?? 'auto');
  const services: ServiceManager =
    kind === 'systemd'
      ? new SystemdServiceManager({ processes })
      : new RunitServiceManager({
          processes,
          files,
          network,
          ...(options.runitDir ? { serviceDir: options.runitDir } : {}),
          ...(options.definitionsDir ? { definitionsDir: options.definitionsDir } : {}),
        });
  return { platform: 'linux', files, processes, network, services, secretStore: new PosixSecretStore(files), postgres: createPostgres(processes) };
}
