/** Quoting for the few statements that cannot take parameters (DDL, ALTER SYSTEM): pg's own escapes. */
export { escapeIdentifier, escapeLiteral } from 'pg';
