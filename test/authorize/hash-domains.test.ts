/**
 * A hash mask is keyed per column (engine/mask-hash.ts maskDomain). The attack it stops: a
 * role whose rule masks `*.*.salary` with `hash` fills a table of its own whose `salary`
 * column holds values it chose (here the owner does it for the role, as a role with
 * change_schema and execute could, through a generated column), then joins it to the
 * protected table on the masked values — equal hashes would tell the real salaries. With
 * one domain per column the hashes of the two columns never meet. Judged by effect: the
 * join finds nothing, while within one column equal values still hash alike. PGlite
 * always, PostgreSQL when one answers.
 */
import { expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const SETUP = [
  'CREATE TABLE public.ai_guess (id numeric, salary numeric GENERATED ALWAYS AS (id) STORED)',
  // Every candidate from 0 to 300,000 in steps of 50: the real salaries among them.
  'INSERT INTO public.ai_guess (id) SELECT g * 50 FROM pg_catalog.generate_series(0, 6000) g',
  'INSERT INTO public.ai_guess (id) SELECT salary FROM hr.employees',
];
const ROLES = { builder: { tools: ['query'], tables: { allow: ['*.*'], deny: [] }, columns: { mask: { '*.*.salary': 'hash' } } } };
const BUILDER: Principal = { id: 'p:builder', kind: 'api_key', role: 'builder', scopes: [] };

pgFamilySuites('hash mask domains', { roles: ROLES }, BUILDER, SETUP, (env) => {
  it('values a role chose in another column cannot be looked up against a hashed column', async () => {
    const joined = await env().bastion.call('query', { sql: 'SELECT e.name, g.id FROM hr.employees e JOIN public.ai_guess g ON g.salary = e.salary' });
    expect(rowsOf(joined)).toEqual([]);
    const matched = await env().bastion.call('query', { sql: 'SELECT count(*) FROM hr.employees e WHERE e.salary IN (SELECT salary FROM public.ai_guess)' });
    expect(rowsOf(matched)).toEqual([[0]]);
  });

  it('within one column equal values still hash alike: a self-join and grouping work on the masked values', async () => {
    const pairs = await env().bastion.call('query', { sql: 'SELECT count(*) FROM hr.employees a JOIN hr.employees b ON a.salary = b.salary WHERE a.id = b.id' });
    const total = await env().bastion.call('query', { sql: 'SELECT count(*) FROM hr.employees' });
    expect(rowsOf(pairs)).toEqual(rowsOf(total));
    const hashed = await env().bastion.call('query', { sql: 'SELECT salary FROM hr.employees ORDER BY id LIMIT 1' });
    expect(String(rowsOf(hashed)[0]?.[0])).toMatch(/^hmac:[0-9a-f]{16}$/);
  });
});
