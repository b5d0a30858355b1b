import { gql } from '@urql/core';
import type { Api } from '../graphql/api.ts';
import type { DeliveryFilter } from '../graphql/generated.ts';

/** The server caps aliases per operation (30); counts go in batches below that. */
const PER_REQUEST = 20;

/**
 * totalCount of `deliveries` for many filters at once: aliases c0…cN with one
 * DeliveryFilter variable each, so every filter is type-checked by the server.
 */
export interface DeliveryCount {
  count: number;
  /** Past 10,000 matches the server answers an estimate: shown as "about N". */
  estimated: boolean;
}

export async function countDeliveries(api: Api, filters: DeliveryFilter[]): Promise<DeliveryCount[]> {
  const batches: DeliveryFilter[][] = [];
  for (let i = 0; i < filters.length; i += PER_REQUEST) batches.push(filters.slice(i, i + PER_REQUEST));
  const results = await Promise.all(
    batches.map(async (batch) => {
      const variables = Object.fromEntries(batch.map((filter, i) => [`f${i}`, filter]));
      const declarations = batch.map((_, i) => `$f${i}: DeliveryFilter`).join(', ');
      const fields = batch.map((_, i) => `c${i}: deliveries(first: 1, filter: $f${i}) { totalCount totalCountIsEstimate }`).join('\n');
      const document = gql<Record<string, { totalCount: number; totalCountIsEstimate: boolean }>, Record<string, DeliveryFilter>>(`query DeliveryCounts(${declarations}) {\n${fields}\n}`);
      const data = await api.query(document, variables);
      return batch.map((_, i) => ({ count: data[`c${i}`].totalCount, estimated: data[`c${i}`].totalCountIsEstimate }));
    }),
  );
  return results.flat();
}
