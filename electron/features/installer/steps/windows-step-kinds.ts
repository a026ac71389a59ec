/** The step kinds only Windows plans use (registered beside the installer's own in step-kinds.ts). */
import type { AnyStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { windowsAccountStep } from './windows-account.js';
import { windowsBootstrapStep } from './windows-bootstrap.js';
import { windowsServiceLogonStep } from './windows-service-logon.js';
import { windowsSmbShareStep } from './windows-smb-share.js';

export const windowsStepKinds: readonly AnyStepKind<System>[] = [windowsAccountStep, windowsSmbShareStep, windowsBootstrapStep, windowsServiceLogonStep];
