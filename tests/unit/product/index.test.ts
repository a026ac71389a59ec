import { describe, expect, it } from 'vitest';
import { getManifest, PRODUCTS } from '../../../electron/product/index.js';

describe('products', () => {
  it('lists both products and finds each by id', () => {
    expect(PRODUCTS.map((p) => p.id)).toEqual(['reference', 'qlik-sense']);
    expect(getManifest('qlik-sense').services[0]?.name).toBe('QlikSenseServiceDispatcher');
    expect(getManifest('reference').id).toBe('reference');
  });

  it('refuses an unknown id', () => {
    expect(() => getManifest('nope' as 'reference')).toThrow(/Unknown product: nope/);
  });

  for (const p of PRODUCTS) {
    it(`${p.id}: every dependency starts in an earlier phase and ids are unique`, () => {
      const byId = new Map(p.services.map((s) => [s.id, s]));
      expect(byId.size).toBe(p.services.length);
      for (const s of p.services) {
        for (const d of s.dependsOn) expect(byId.get(d)?.phase, `${s.id} depends on ${d}`).toBeLessThan(s.phase);
      }
      const phases = p.services.map((s) => s.phase);
      expect([...phases].sort((a, b) => a - b)).toEqual(phases);
      expect(p.services.map((s) => s.id).slice(0, 2)).toEqual(['dispatcher', 'repository']);
      expect(p.registrationQuery).toContain('$1');
    });
  }
});
