import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookyard, type TestHookyard } from '../support/hookyard.ts';
import { createIntegrator } from '../support/fixtures.ts';

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String) {
  integrators(first: $first, after: $after, last: $last, before: $before, search: "paged") {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('Relay paging', () => {
  let hy: TestHookyard;
  const names = Array.from({ length: 7 }, (_, i) => `paged ${i}`);
  const page = async (args: Record<string, unknown>) => {
    const result = await hy.admin(PAGE, args);
    expect(result.errors).toBeUndefined();
    return result.data.integrators;
  };

  beforeAll(async () => {
    hy = await startTestHookyard();
    // One at a time, so creation order is certain; rows made in one millisecond are ordered by their id.
    for (const name of names) await createIntegrator(hy.admin, { name });
  });
  afterAll(async () => {
    await hy?.stop();
  });

  it('walks forward, newest first, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p: any = await page({ first: 3, after });
      expect(p.totalCount).toBe(7);
      seen.push(...p.edges.map((e: any) => e.node.name));
      expect(p.pageInfo.startCursor).toBe(p.edges[0].cursor);
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1).cursor);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual([...names].reverse());
  });

  it('walks backward from the end with last and before', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    for (let i = 0; i < 10; i++) {
      const p: any = await page({ last: 3, before });
      seen.unshift(...p.edges.map((e: any) => e.node.name));
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen).toEqual([...names].reverse());
  });

  it('says whether there is a page before one reached with after', async () => {
    const first = await page({ first: 2 });
    expect(first.pageInfo.hasPreviousPage).toBe(false);
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((e: any) => e.node.name)).toEqual(['paged 4', 'paged 3']);
    expect(second.pageInfo.hasNextPage).toBe(true);
  });

  it('returns 20 rows by default and an empty page past the end', async () => {
    const all = await page({});
    expect(all.edges).toHaveLength(7);
    expect(all.pageInfo.hasNextPage).toBe(false);
    const past = await page({ first: 5, after: all.pageInfo.endCursor });
    expect(past.edges).toEqual([]);
    expect(past.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    [{ first: 0 }, 'first'],
    [{ first: 101 }, 'first'],
    [{ last: -1 }, 'last'],
    [{ first: 1, last: 1 }, 'first'],
    [{ after: 'garbage' }, 'after'],
    [{ before: 'garbage' }, 'before'],
  ])('refuses %j with a validation error naming %s', async (args, field) => {
    const result = await hy.admin(PAGE, args);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field });
  });
});
