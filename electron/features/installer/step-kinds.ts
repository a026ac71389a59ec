/** Every step kind the installer's plans use. */
import { StepRegistry } from '../../engine/registry.js';
import { directoryStep } from '../../engine/steps/directory.js';
import { fileContentStep } from '../../engine/steps/file-content.js';
import type { System } from '../../system/system.js';
import { bootstrapStep, nodeRegisteredStep } from './steps/bootstrap.js';
import { connectionStringStep } from './steps/connection-string.js';
import { copyTreeStep } from './steps/copy-tree.js';
import { osAccountStep } from './steps/os-account.js';
import { pgConfStep, pgHbaStep } from './steps/pg-conf.js';
import { pgInitdbStep } from './steps/pg-initdb.js';
import { pgRoleDatabaseStep } from './steps/pg-role-database.js';
import { pgSettingsStep } from './steps/pg-settings.js';
import { serviceRunningStep, serviceStep } from './steps/service.js';
import { windowsStepKinds } from './steps/windows-step-kinds.js';
import { siteKeyStep, siteSchemaStep } from '../site/site-steps.js';
import { caFileStep } from '../tls/steps/ca-file.js';
import { serverCertificateStep } from '../tls/steps/server-certificate.js';
import { nodeRegistrationStep } from '../registration/registration-steps.js';
import { monitoringAppsStep } from '../registration/monitoring-step.js';
import { licenceStep } from '../registration/licence-step.js';

/** A registry holding the installer's step kinds. */
export function createStepRegistry(): StepRegistry<System> {
  return new StepRegistry<System>([
    directoryStep,
    fileContentStep,
    osAccountStep,
    copyTreeStep,
    pgInitdbStep,
    pgConfStep,
    pgHbaStep,
    pgRoleDatabaseStep,
    pgSettingsStep,
    serviceStep,
    serviceRunningStep,
    connectionStringStep,
    bootstrapStep,
    nodeRegisteredStep,
    siteKeyStep,
    siteSchemaStep,
    serverCertificateStep,
    caFileStep,
    nodeRegistrationStep,
    monitoringAppsStep,
    licenceStep,
    ...windowsStepKinds,
  ]);
}
