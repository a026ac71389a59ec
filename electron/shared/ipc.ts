/**
 * The one contract between the wizard and the back end. Electron IPC (preload + main), browser
 * mode (HTTP) and the elevated agent (local socket) all carry exactly these methods, and every
 * request payload is parsed by the zod schema below before it reaches the back end.
 */
import { z } from 'zod';
import { toErrorInfo } from './errors.js';
import type { ErrorInfo } from './errors.js';
import type { Plan, ProgressEvent, RunOutcome } from './plan.js';
import type { FieldIssue, Platform, SettingsInput } from './settings.js';
import { siteOperationInputSchema } from './site.js';
import type { SiteOperationInput, SiteOperationPlan, SiteOperationResult, SiteSettingsReport, SiteStatus } from './site.js';

/** The result of one check (Test connection, Test access, host name, a preflight check). */
export interface CheckOutcome {
  readonly id: string;
  readonly title: string;
  readonly ok: boolean;
  readonly message: string;
  readonly fix?: string;
}

export interface ProductInfo {
  readonly id: string;
  readonly displayName: string;
  readonly version: string;
}

export interface EnvironmentInfo {
  readonly platform: Platform;
  readonly hostname: string;
  readonly elevated: boolean;
  readonly products: readonly ProductInfo[];
  readonly defaults: {
    readonly installDir: string;
    readonly dataDir: string;
    readonly shareRoot: string;
    readonly serviceUser: string;
    readonly runitDir?: string;
    /** Journal, plan and logs. */
    readonly stateDir?: string;
    readonly databasePort?: number;
    /** This machine's own networks, to suggest for the database listener instead of 0.0.0.0/0. */
    readonly ipRanges?: readonly string[];
  };
}

export type PlanResult = { readonly plan: Plan; readonly preflight: readonly CheckOutcome[] } | { readonly invalid: readonly FieldIssue[] };
/** The `db prepare` plan (facts, preflight and every step's check already done: a refusal rejects). */
export type DbPreparePlanResult = { readonly plan: Plan } | { readonly invalid: readonly FieldIssue[] };

export interface RunResult {
  readonly outcome: RunOutcome;
  readonly logPath: string;
  readonly error?: ErrorInfo;
}

export interface StatusResult {
  readonly nodes: readonly { readonly hostname: string; readonly isCentral: boolean; readonly lastSeen: string }[];
  readonly services: readonly { readonly name: string; readonly state: string }[];
}

export interface SettingsRequest {
  readonly settings: SettingsInput;
}
/** The Site screen's backup and restore: a plan first (changes nothing), then the run of the same folder. */
export interface SiteBackupRequest extends SettingsRequest {
  readonly action: 'plan-backup' | 'backup' | 'plan-restore' | 'restore';
  /** The backup folder (absolute). */
  readonly dir: string;
  readonly passphrase: string;
}
export interface SiteBackupResult {
  /** The plan, or what the run did, line by line (never a secret). */
  readonly lines: readonly string[];
}
export interface ApplyRequest extends SettingsRequest {
  readonly planId: string;
}
export interface ExportBundleRequest extends SettingsRequest {
  readonly passphrase?: string;
  readonly expiresHours?: number | null;
  readonly outPath?: string;
}
export interface ImportBundleRequest {
  readonly path?: string;
  readonly bytesBase64?: string;
  readonly passphrase: string;
}

export type EventSink = (e: ProgressEvent) => void;

/** The guide's three upgrade scenarios. */
export type MigrationScenario = 'sync-older' | 'sync-current' | 'shared-older';

/** The migration settings file (`spsetup migrate --settings`): the node's role, the backup folder and the node's target settings. */
export interface MigrationInput {
  readonly role: 'central' | 'rim';
  readonly backupDir: string;
  readonly includeArchivedLogs?: boolean;
  /** The node after the migration; database.password may be left out (read from the node). */
  readonly settings: SettingsInput;
}
export interface MigrationRequest {
  readonly migration: MigrationInput;
}
export interface MigrationApplyRequest extends MigrationRequest {
  readonly planId: string;
}

/** What detection found on the node (never a secret). */
export interface DetectedMigration {
  readonly scenario: MigrationScenario;
  /** The scenario in words, e.g. "synchronized persistence, current release". */
  readonly title: string;
  readonly release: string;
  readonly currentRelease: string;
  /** The repository database the node's configuration points at. */
  readonly database: { readonly host: string; readonly port: number; readonly name: string; readonly user: string };
  readonly nodes: readonly { readonly hostname: string; readonly isCentral: boolean }[];
  readonly tables: number;
  readonly rows: number;
  /** A migration of this node started and did not finish: Resume continues it. */
  readonly unfinished: boolean;
}

export interface MigrationPlanResult {
  readonly detected: DetectedMigration;
  readonly plan: Plan;
  readonly preflight: readonly CheckOutcome[];
}

/** A site operation from the Site screen, with the settings that reach the repository database. */
export interface SiteOperationRequest extends SettingsRequest {
  readonly operation: SiteOperationInput;
}
export interface SiteRunRequest extends SiteOperationRequest {
  /** The plan the user reviewed (SiteOperationPlan.id). */
  readonly planId: string;
}

/** What the back end offers the wizard. Every method may reject with an ErrorInfo-shaped error. */
export interface InstallerBackend {
  environment(): Promise<EnvironmentInfo>;
  testDatabase(input: SettingsRequest): Promise<CheckOutcome>;
  testShare(input: SettingsRequest): Promise<CheckOutcome>;
  checkHostname(input: { readonly hostname: string }): Promise<CheckOutcome>;
  plan(input: SettingsRequest): Promise<PlanResult>;
  apply(input: ApplyRequest, onEvent: EventSink): Promise<RunResult>;
  cancel(): Promise<void>;
  resume(input: SettingsRequest, onEvent: EventSink): Promise<RunResult>;
  rollback(input: SettingsRequest, onEvent: EventSink): Promise<RunResult>;
  status(input: SettingsRequest): Promise<StatusResult>;
  saveDiagnostics(): Promise<{ readonly path: string }>;
  exportBundle(input: ExportBundleRequest): Promise<{ readonly path: string; readonly passphrase: string }>;
  importBundle(input: ImportBundleRequest): Promise<{ readonly masked: Readonly<Record<string, unknown>>; readonly settings: SettingsInput }>;
  importSpc(input: { readonly text: string }): Promise<{ readonly settings: SettingsInput; readonly warnings: readonly string[] }>;
  /** Reads the existing node and names its upgrade scenario; changes nothing. */
  detectMigration(input: MigrationRequest): Promise<DetectedMigration>;
  /** Detection, preflight and the whole migration plan; changes nothing. */
  planMigration(input: MigrationRequest): Promise<MigrationPlanResult>;
  applyMigration(input: MigrationApplyRequest, onEvent: EventSink): Promise<RunResult>;
  /** Continues this node's unfinished migration at its first unfinished step. */
  resumeMigration(input: MigrationRequest, onEvent: EventSink): Promise<RunResult>;
  /** Every node of the site (services, heartbeat age, versions, central, database endpoint). */
  siteStatus(input: SettingsRequest): Promise<SiteStatus>;
  /** The plan of a site operation; changes nothing. */
  planSiteOperation(input: SiteOperationRequest): Promise<SiteOperationPlan>;
  /** Sends the reviewed operation; per-node progress arrives as site-progress events. */
  runSiteOperation(input: SiteRunRequest, onEvent: EventSink): Promise<SiteOperationResult>;
  /** Every node's connection string (password masked on the node) and folders, asked of its agent. */
  siteSettings(input: SettingsRequest): Promise<SiteSettingsReport>;
  /** Site backup or restore (database and share together), or its plan. */
  siteBackup(input: SiteBackupRequest): Promise<SiteBackupResult>;
  /** The `spsetup db prepare --plan` of this database server (run on it); changes nothing. */
  planDbPrepare(input: SettingsRequest): Promise<DbPreparePlanResult>;
  /** Applies the reviewed db prepare plan; a failed run takes back what it changed. */
  applyDbPrepare(input: ApplyRequest, onEvent: EventSink): Promise<RunResult>;
}

export type InstallerMethod = keyof InstallerBackend;
/** Methods that stream progress events while they run. */
export const STREAMING_METHODS = ['apply', 'resume', 'rollback', 'applyMigration', 'resumeMigration', 'runSiteOperation', 'applyDbPrepare'] as const;
export type StreamingMethod = (typeof STREAMING_METHODS)[number];

/** The request payload of a method (undefined for methods without one). */
export type RequestOf<M extends InstallerMethod> = Parameters<InstallerBackend[M]> extends [] ? undefined : Parameters<InstallerBackend[M]>[0];
/** The resolved result of a method. */
export type ResultOf<M extends InstallerMethod> = Awaited<ReturnType<InstallerBackend[M]>>;

/** What the renderer sees: the same methods, with progress events delivered through onEvent. */
export type WizardApi = {
  readonly [M in InstallerMethod]: (...args: RequestOf<M> extends undefined ? [] : [payload: RequestOf<M>]) => Promise<ResultOf<M>>;
} & {
  readonly onEvent: (cb: EventSink) => () => void;
};

/** Every reply crossing a process boundary is an envelope, so typed errors survive the trip. */
export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

const plainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Settings are checked field by field by the back end (plan returns `invalid`), so the boundary
// only insists on a plain object of bounded size here.
const settingsPayload = z.custom<SettingsInput>((v) => plainObject(v) && JSON.stringify(v).length <= 64 * 1024, {
  message: 'settings must be an object',
});
const noPayload = z.union([z.undefined(), z.null()]).transform(() => undefined);
const settingsRequest = z.object({ settings: settingsPayload }).strict();
/** The migration file's own fields are checked here; its settings, like install settings, by the back end. */
export const migrationInputSchema = z
  .object({
    role: z.enum(['central', 'rim'], { message: 'the role is central or rim' }),
    backupDir: z.string().trim().min(1, 'a backup folder is required').max(4096),
    includeArchivedLogs: z.boolean().optional(),
    settings: settingsPayload,
  })
  .strict();
const migrationRequest = z.object({ migration: migrationInputSchema }).strict();

/** The zod schema of every method's request payload. */
export const requestSchemas = {
  environment: noPayload,
  testDatabase: settingsRequest,
  testShare: settingsRequest,
  checkHostname: z.object({ hostname: z.string().max(253) }).strict(),
  plan: settingsRequest,
  apply: z.object({ planId: z.string().min(1).max(200), settings: settingsPayload }).strict(),
  cancel: noPayload,
  resume: settingsRequest,
  rollback: settingsRequest,
  status: settingsRequest,
  saveDiagnostics: noPayload,
  exportBundle: z
    .object({
      settings: settingsPayload,
      passphrase: z.string().min(8, 'a passphrase has at least 8 characters').max(1024).optional(),
      expiresHours: z.number().int().min(1).max(24 * 365).nullable().optional(),
      outPath: z.string().min(1).max(4096).optional(),
    })
    .strict(),
  importBundle: z
    .object({
      path: z.string().min(1).max(4096).optional(),
      bytesBase64: z.string().max(16 * 1024 * 1024).regex(/^[A-Za-z0-9+/=\s]*$/, 'not base64').optional(),
      passphrase: z.string().min(1, 'the passphrase is required').max(1024),
    })
    .strict()
    .refine((r) => (r.path === undefined) !== (r.bytesBase64 === undefined), { message: 'give either a path or the file contents' }),
  importSpc: z.object({ text: z.string().max(1024 * 1024) }).strict(),
  detectMigration: migrationRequest,
  planMigration: migrationRequest,
  applyMigration: z.object({ planId: z.string().min(1).max(200), migration: migrationInputSchema }).strict(),
  resumeMigration: migrationRequest,
  siteStatus: settingsRequest,
  planSiteOperation: z.object({ settings: settingsPayload, operation: siteOperationInputSchema }).strict(),
  runSiteOperation: z.object({ settings: settingsPayload, operation: siteOperationInputSchema, planId: z.string().min(1).max(200) }).strict(),
  siteSettings: settingsRequest,
  siteBackup: z
    .object({ settings: settingsPayload, action: z.enum(['plan-backup', 'backup', 'plan-restore', 'restore']), dir: z.string().min(1).max(4096), passphrase: z.string().min(1, 'the passphrase is required').max(1024) })
    .strict(),
  planDbPrepare: settingsRequest,
  applyDbPrepare: z.object({ planId: z.string().min(1).max(200), settings: settingsPayload }).strict(),
} as const satisfies { readonly [M in InstallerMethod]: z.ZodType };

/** Every method name, in a stable order. */
export const INSTALLER_METHODS = Object.keys(requestSchemas) as readonly InstallerMethod[];

/** True when the name is one of the contract's methods. */
export function isInstallerMethod(name: unknown): name is InstallerMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

/** True for the methods that stream progress (apply, resume, rollback and the migration's run and resume). */
export function isStreamingMethod(name: InstallerMethod): name is StreamingMethod {
  return (STREAMING_METHODS as readonly string[]).includes(name);
}

/** Parses a request payload; a bad payload yields an invalid-input ErrorInfo (never echoing values). */
export function parseRequest<M extends InstallerMethod>(
  method: M,
  payload: unknown,
): { readonly ok: true; readonly value: RequestOf<M> } | { readonly ok: false; readonly error: ErrorInfo } {
  const result = requestSchemas[method].safeParse(payload);
  if (result.success) return { ok: true, value: result.data as RequestOf<M> };
  const where = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
  return {
    ok: false,
    error: { code: 'invalid-input', message: `The request to ${method} was malformed (${where}).`, fix: 'This is a bug in the wizard; please send the log.' },
  };
}

/** Invokes one method of a back end with an already-parsed payload. */
export function invokeBackend<M extends InstallerMethod>(backend: InstallerBackend, method: M, payload: RequestOf<M>, onEvent: EventSink): Promise<ResultOf<M>> {
  // One typed dispatch point: streaming methods get the sink, the others the payload alone.
  const fn = backend[method] as (p: unknown, sink?: EventSink) => Promise<ResultOf<M>>;
  return isStreamingMethod(method) ? fn.call(backend, payload, onEvent) : fn.call(backend, payload);
}

/** True when a value looks like ErrorInfo (what every method may reject with). */
export function isErrorInfo(v: unknown): v is ErrorInfo {
  return plainObject(v) && typeof v['code'] === 'string' && typeof v['message'] === 'string';
}

/** Electron IPC channel of a method. */
export function channelOf(method: InstallerMethod): string {
  return `spsetup:${method}`;
}
/** The one channel on which main sends progress events. */
export const EVENTS_CHANNEL = 'spsetup:event';

/** Browser mode: the HTTP header that carries the session token. */
export const TOKEN_HEADER = 'x-spsetup-token';

/** Turns whatever a back end rejected with into ErrorInfo: UserError and plain ErrorInfo pass, anything else is internal. */
export function errorInfoOf(err: unknown): ErrorInfo {
  if (!(err instanceof Error) && isErrorInfo(err)) {
    const { code, message, fix } = err;
    return fix === undefined ? { code, message } : { code, message, fix };
  }
  return toErrorInfo(err);
}
