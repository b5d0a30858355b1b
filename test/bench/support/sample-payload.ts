/** A typical business event, the benches' payload: what a billing system would publish. */
export function samplePayload(n: number) {
  return {
    id: `inv_${String(n).padStart(8, '0')}`,
    customer: { id: 'cus_4f9a2c71', email: 'billing@example.com', name: 'Acme Industries' },
    amount: 129_900,
    currency: 'EUR',
    status: 'open',
    lines: [
      { sku: 'plan-pro', description: 'Pro plan, monthly', quantity: 1, amount: 99_900 },
      { sku: 'seat', description: 'Additional seats', quantity: 3, amount: 30_000 },
    ],
    dueAt: '2026-12-01T00:00:00.000Z',
  };
}
