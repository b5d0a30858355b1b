// GET /export/deliveries.pdf: the delivery log as a printable table (title, filter
// summary, the log's columns, page numbers), streamed: pages are written as they fill
// and the next batch of rows is read only once the client has taken what was written.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import type { Services } from '../../core/services.ts';
import { deliveryLogBatches, type Directory, type LogRow } from '../../core/delivery-log/delivery-log-query.ts';
import { exportFileName, openExport } from './export-request.ts';

const MARGIN = 36;
const FONT_SIZE = 8;
const ROW_HEIGHT = 13;
const FOOTER = 24;

interface Column {
  title: string;
  width: number;
  value(row: LogRow, directory: Directory): string;
  align?: 'left' | 'right';
}

const time = (value: unknown) => (value instanceof Date ? `${value.toISOString().slice(0, 19).replace('T', ' ')}` : '–');

/** The dashboard's delivery-log columns, sized for landscape A4 (770 pt between margins). */
const COLUMNS: Column[] = [
  { title: 'Created at (UTC)', width: 95, value: (r) => time(r.created_at) },
  { title: 'Integrator', width: 110, value: (r, d) => d.integrators.get(r.integrator_id as string) ?? (r.integrator_id as string) },
  { title: 'Webhook', width: 130, value: (r, d) => d.webhooks.get(r.webhook_id as string)?.name ?? (r.webhook_id as string) },
  { title: 'Event type', width: 115, value: (r) => r.event_type as string },
  { title: 'Attempts', width: 45, value: (r) => String(r.attempt_count), align: 'right' },
  { title: 'Last attempt at', width: 95, value: (r) => time(r.last_attempt_at) },
  { title: 'Success', width: 85, value: (r) => (r.status === 'SUCCEEDED' ? 'yes' : `no (${String(r.status).toLowerCase()})`) },
  { title: 'Delivered at', width: 95, value: (r) => time(r.delivered_at) },
];

// DejaVu Sans Condensed, embedded (subset) in each PDF: the standard PDF fonts cover
// Latin-1 only, so names in Polish, Czech, Turkish, Greek or Cyrillic printed as "?".
const FONTS = {
  regular: fileURLToPath(import.meta.resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf')),
  bold: fileURLToPath(import.meta.resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed-Bold.ttf')),
};

/** Control characters would print as boxes; they carry nothing readable. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

export async function handlePdfExport(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await openExport(services, req, res);
  if (!request) return;
  const { log, directory, summary } = request;
  const now = new Date();
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: MARGIN,
    font: FONTS.regular,
    info: { Title: 'Hookyard delivery log', Creator: 'Hookyard', CreationDate: now },
  });
  doc.registerFont('Body', FONTS.regular);
  doc.registerFont('Body-Bold', FONTS.bold);
  res.writeHead(200, {
    'content-type': 'application/pdf',
    'content-disposition': `attachment; filename="${exportFileName('pdf', now)}"`,
    'cache-control': 'no-store',
  });
  doc.pipe(res);
  let aborted = false;
  res.on('close', () => (aborted = !res.writableFinished));

  const bottom = doc.page.height - MARGIN - FOOTER;
  let page = 1;
  let y = MARGIN;

  /** Cuts a cell's text to its column, with an ellipsis (measured only when it may not fit). */
  const fit = (text: string, width: number): string => {
    const clean = printable(text);
    if (clean.length * FONT_SIZE * 0.6 <= width || doc.widthOfString(clean) <= width) return clean;
    let low = 0;
    let high = clean.length;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (doc.widthOfString(`${clean.slice(0, mid)}…`) <= width) low = mid;
      else high = mid - 1;
    }
    return `${clean.slice(0, low)}…`;
  };

  const footer = () => {
    doc.font('Body').fontSize(7).fillColor('#666666');
    doc.text(`Hookyard delivery log, exported ${time(now)} UTC`, MARGIN, doc.page.height - MARGIN - 10, { lineBreak: false });
    const label = `Page ${page}`;
    doc.text(label, doc.page.width - MARGIN - doc.widthOfString(label), doc.page.height - MARGIN - 10, { lineBreak: false });
    doc.fillColor('black');
  };

  const tableHeader = () => {
    doc.font('Body-Bold').fontSize(FONT_SIZE);
    let x = MARGIN;
    for (const c of COLUMNS) {
      const text = c.title;
      doc.text(text, c.align === 'right' ? x + c.width - 6 - doc.widthOfString(text) : x, y, { lineBreak: false });
      x += c.width;
    }
    y += ROW_HEIGHT - 2;
    doc.moveTo(MARGIN, y).lineTo(doc.page.width - MARGIN, y).lineWidth(0.5).stroke();
    y += 3;
    doc.font('Body').fontSize(FONT_SIZE);
  };

  const newPage = () => {
    footer();
    doc.addPage();
    page++;
    y = MARGIN;
    tableHeader();
  };

  // Title and what the export holds.
  doc.font('Body-Bold').fontSize(16).text('Hookyard delivery log', MARGIN, y, { lineBreak: false });
  y += 22;
  doc.font('Body').fontSize(9).fillColor('#333333');
  doc.text(fit(`Filter: ${summary}`, doc.page.width - 2 * MARGIN), MARGIN, y, { lineBreak: false });
  y += 13;
  const sort = log.sort.map((s) => `${s.field.toLowerCase().replace(/_/g, ' ')} ${s.direction === 'ASC' ? 'ascending' : 'descending'}`).join(', ');
  doc.text(`Sorted by ${sort}. Exported ${time(now)} UTC.`, MARGIN, y, { lineBreak: false });
  doc.fillColor('black');
  y += 20;
  tableHeader();

  let count = 0;
  try {
    for await (const batch of deliveryLogBatches(services.pool, log, 500)) {
      for (const row of batch) {
        if (y + ROW_HEIGHT > bottom) newPage();
        if (count % 2 === 1) doc.rect(MARGIN - 2, y - 2.5, doc.page.width - 2 * MARGIN + 4, ROW_HEIGHT).fill('#f2f4f7').fillColor('black');
        let x = MARGIN;
        for (const c of COLUMNS) {
          const text = fit(c.value(row, directory), c.width - 6);
          doc.text(text, c.align === 'right' ? x + c.width - 6 - doc.widthOfString(text) : x, y, { lineBreak: false });
          x += c.width;
        }
        y += ROW_HEIGHT;
        count++;
        // Drawing is synchronous: give other requests the event loop now and then.
        if (count % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      if (aborted) break;
      // Backpressure: let the client take what was written before reading more rows.
      if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (aborted) break;
    }
    if (y + 2 * ROW_HEIGHT > bottom) newPage();
    y += 6;
    doc.font('Body-Bold').fontSize(9).text(count === 0 ? 'No deliveries match this filter.' : `${count} ${count === 1 ? 'delivery' : 'deliveries'}.`, MARGIN, y, { lineBreak: false });
    footer();
    doc.end();
  } catch (error) {
    services.log.error({ err: error }, 'PDF export failed midway');
    doc.unpipe(res);
    res.destroy(error as Error);
  }
}
