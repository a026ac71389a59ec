/**
 * The guide's repository database: name, owner role, port and connections a node. Both product
 * manifests take their `database` fields from here, code with a manifest reads the manifest, and
 * the two places that cannot see a manifest (the settings schema's defaults, and the vendor's
 * connection-string defaults that the reference programs carry) read this. Pure, no imports.
 */
export const REPOSITORY_DATABASE = {
  name: 'QSR',
  ownerRole: 'qliksenserepository',
  port: 4432,
  /** The guide: max_connections = 100 x the planned nodes. */
  connectionsPerNode: 100,
} as const;
