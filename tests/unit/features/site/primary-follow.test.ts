/** Issue 16: which database endpoint a node agent uses (pure part of features/site/primary-follow.ts). */
import { describe, expect, it } from 'vitest';
import { candidateEndpoints, choosePrimary, type EndpointProbe } from '../../../../electron/features/site/primary-follow.js';
import { operationBodySchema } from '../../../../electron/features/site/operations.js';

const a = { host: '10.0.0.1', port: 5432 };
const b = { host: '10.0.0.2', port: 5432 };
const probe = (endpoint: typeof a, role?: 'primary' | 'standby', timeline?: number): EndpointProbe => (role ? { endpoint, role, timeline: timeline ?? 1 } : { endpoint, error: 'unreachable' });

describe('candidateEndpoints', () => {
  it('puts the connection string first and names each server once', () => {
    expect(candidateEndpoints(b, [a, b])).toEqual([b, a]);
    expect(candidateEndpoints(a, [])).toEqual([a]);
  });
});

describe('choosePrimary', () => {
  it('keeps the current primary while the standby is in recovery', () => {
    expect(choosePrimary([probe(a, 'primary', 1), probe(b, 'standby', 1)], a, 1)?.endpoint).toEqual(a);
  });

  it('moves to the promoted standby when the primary is unreachable', () => {
    expect(choosePrimary([probe(a), probe(b, 'primary', 2)], a, 1)?.endpoint).toEqual(b);
  });

  it('of two primaries, takes the one on the higher timeline (an old primary that came back)', () => {
    expect(choosePrimary([probe(a, 'primary', 1), probe(b, 'primary', 2)], a, 1)?.endpoint).toEqual(b);
    expect(choosePrimary([probe(a, 'primary', 2), probe(b, 'primary', 1)], a, 2)?.endpoint).toEqual(a);
  });

  it('never goes back to a primary on a timeline older than one it has seen', () => {
    expect(choosePrimary([probe(a, 'primary', 1), probe(b)], a, 2)).toBeUndefined();
    expect(choosePrimary([probe(a, 'standby', 2), probe(b, 'standby', 2)], a, 0)).toBeUndefined();
  });
});

describe('the endpoints operation', () => {
  it('takes one to eight servers with valid ports', () => {
    expect(operationBodySchema.safeParse({ kind: 'endpoints', endpoints: [a, b] }).success).toBe(true);
    expect(operationBodySchema.safeParse({ kind: 'endpoints', endpoints: [] }).success).toBe(false);
    expect(operationBodySchema.safeParse({ kind: 'endpoints', endpoints: [{ host: 'x', port: 0 }] }).success).toBe(false);
  });
});
