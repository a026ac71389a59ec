/** The step kinds of replicated database plans (standby, and the installer's file and service kinds they reuse). */
import { StepRegistry } from '../../engine/registry.js';
import type { System } from '../../system/system.js';
import { pgConfStep } from '../installer/steps/pg-conf.js';
import { serviceRunningStep, serviceStep } from '../installer/steps/service.js';
import { alterSystemStep } from './steps/alter-system.js';
import { basebackupStep } from './steps/basebackup.js';
import { passfileStep } from './steps/passfile.js';
import { remoteHbaStep } from './steps/remote-hba.js';
import { replicationRoleStep } from './steps/replication-role.js';
import { replicationSlotStep } from './steps/replication-slot.js';
import { standbyStreamingStep } from './steps/standby-streaming.js';

/** A registry with every kind a standby plan uses. */
export function createStandbyRegistry(): StepRegistry<System> {
  return new StepRegistry<System>([alterSystemStep, replicationRoleStep, replicationSlotStep, remoteHbaStep, passfileStep, basebackupStep, pgConfStep, serviceStep, serviceRunningStep, standbyStreamingStep]);
}
