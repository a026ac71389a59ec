/** The step kinds of replicated database plans (standby, failover, switchover, rejoin, and the installer's file and service kinds they reuse). */
import { StepRegistry } from '../../engine/registry.js';
import type { System } from '../../system/system.js';
import { pgConfStep } from '../installer/steps/pg-conf.js';
import { serviceRunningStep, serviceStep } from '../installer/steps/service.js';
import { alterSystemStep } from './steps/alter-system.js';
import { basebackupStep } from './steps/basebackup.js';
import { caughtUpStep } from './steps/caught-up.js';
import { fenceStep } from './steps/fence.js';
import { localStopStep } from './steps/local-server.js';
import { nodesFollowStep } from './steps/nodes-follow.js';
import { passfileStep } from './steps/passfile.js';
import { promoteStep } from './steps/promote.js';
import { remoteHbaStep } from './steps/remote-hba.js';
import { replicationRoleStep } from './steps/replication-role.js';
import { replicationSlotStep } from './steps/replication-slot.js';
import { rewindStep } from './steps/rewind.js';
import { standbyStreamingStep } from './steps/standby-streaming.js';

/** A registry with every kind a replicated database plan uses. */
export function createStandbyRegistry(): StepRegistry<System> {
  return new StepRegistry<System>([
    alterSystemStep,
    replicationRoleStep,
    replicationSlotStep,
    remoteHbaStep,
    passfileStep,
    basebackupStep,
    pgConfStep,
    serviceStep,
    serviceRunningStep,
    standbyStreamingStep,
    fenceStep,
    caughtUpStep,
    promoteStep,
    localStopStep,
    rewindStep,
    nodesFollowStep,
  ]);
}
