/**
 * The wizard's form, split by job: screens, model, derivation, mapping to settings, validation.
 * Importers use this index.
 */
export * from './form/screens.js';
export * from './form/model.js';
export * from './form/derive.js';
export * from './form/to-settings.js';
export * from './form/validate.js';
export * from './form/password-strength.js';
