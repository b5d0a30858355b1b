import type { Api } from '../graphql/api.ts';

/**
 * Downloads /export/deliveries.csv|pdf. The endpoints want the bearer header, which a
 * plain link cannot carry, so the file is fetched and saved from a blob.
 */
export async function downloadExport(api: Api, format: 'csv' | 'pdf', params: URLSearchParams): Promise<void> {
  const response = await api.fetch(`/export/deliveries.${format}?${params}`);
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let message = text;
    try {
      // The export endpoints answer { error: { code, message, field? } }.
      const error = JSON.parse(text).error;
      message = typeof error === 'string' ? error : [error?.field, error?.message].filter(Boolean).join(': ') || text;
    } catch {
      // not JSON: the text itself
    }
    throw new Error(`export failed (${response.status}): ${message || response.statusText}`);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `hookyard-deliveries-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser time to start the download before the blob goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
