import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { InvoiceDocument, InvoiceLineRow } from '../../../src/billing/invoices';
import { formatMoney } from '../../../src/billing/money';
import { addDays } from '../../../src/billing/periods';
import { Time } from '../../components/time';
import { lineHasEvidence } from '../support/shared';
import { TableWrap } from '../../components/table';

export const INVOICE_STATUS_LABELS: Record<InvoiceDocument['invoice']['status'], string> = {
  draft: 'Draft',
  issued: 'Issued',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  overdue: 'Overdue',
  void: 'Void',
};

/** Status in words, with its colour only as a second signal. */
export function InvoiceStatusBadge(props: { status: InvoiceDocument['invoice']['status']; held?: boolean }) {
  return (
    <>
      <span class={`badge badge-invoice-${props.status}`}>{INVOICE_STATUS_LABELS[props.status]}</span>
      {props.held && <span class="badge badge-invoice-held" title="Generated for a customer who is not active or is in default: not emailed.">Held</span>}
    </>
  );
}

const hasEvidence = (line: InvoiceLineRow) => lineHasEvidence(line.kind);

/**
 * The invoice as issued, for the screen and for print-to-PDF (the print stylesheet hides
 * navigation and actions). Shared by staff and the customer's portal; `evidenceHref` builds the
 * link to each energy line's evidence file on the side it is shown.
 */
export function InvoiceDocumentView(props: {
  doc: InvoiceDocument;
  logoSrc: string | null;
  evidenceHref: (lineId: string) => string;
  audience: 'staff' | 'customer';
  /** Per line, after its description (screen only): "Question this line", or its dispute tickets. */
  lineExtra?: (line: InvoiceLineRow) => Child;
}) {
  const { doc } = props;
  const { invoice, issuer } = doc;
  const money = (minor: number) => formatMoney(minor, invoice.currency);
  const balance = invoice.totalMinor - invoice.paidMinor;
  return (
    <article class="invoice-document" aria-label={`Invoice ${invoice.number ?? '(draft)'}`}>
      <header class="invoice-head">
        <div class="invoice-issuer">
          {props.logoSrc && <img class="invoice-logo" src={props.logoSrc} alt={`${issuer.name} logo`} width="56" height="56" />}
          <div>
            <p class="invoice-issuer-name">{issuer.name}</p>
            {issuer.businessAddress && <p class="invoice-address">{issuer.businessAddress}</p>}
          </div>
        </div>
        <div class="invoice-meta">
          {/* The page's one h1 wherever the document is shown (staff, portal, print). */}
          <h1 class="invoice-title">
            {invoice.status === 'draft' ? 'Draft invoice' : `Invoice ${invoice.number}`} <InvoiceStatusBadge status={invoice.status} held={props.audience === 'staff' && invoice.held} />
          </h1>
          <dl class="invoice-facts">
            <dt>Period</dt>
            <dd>
              {invoice.periodStart} to {addDays(invoice.periodEnd, -1)}
            </dd>
            {invoice.issuedOn && (
              <>
                <dt>Issued</dt>
                <dd>{invoice.issuedOn}</dd>
                <dt>Due</dt>
                <dd>{invoice.dueOn}</dd>
              </>
            )}
            <dt>Currency</dt>
            <dd>{invoice.currency}</dd>
          </dl>
        </div>
      </header>

      <section class="invoice-parties">
        <div>
          <h3>Billed to</h3>
          <p>{doc.customer.name}</p>
          {doc.customer.companyName && <p>{doc.customer.companyName}</p>}
        </div>
        {doc.locations.length > 0 && (
          <div>
            <h3>Service location</h3>
            {doc.locations.map((l) => (
              <p>{l}</p>
            ))}
          </div>
        )}
      </section>

      {invoice.status === 'void' && (
        <p class="alert alert-info" role="status">
          This invoice is void: {invoice.voidReason}
        </p>
      )}

      <TableWrap label="Invoice lines" wide>
        <table class="table invoice-lines">
          <caption class="visually-hidden">Invoice lines</caption>
          <thead>
            <tr>
              <th scope="col">Description</th>
              <th scope="col">Quantity</th>
              <th scope="col" class="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {doc.lines.length === 0 && (
              <tr>
                <td colspan={3}>No charges for this period.</td>
              </tr>
            )}
            {doc.lines.map((line) => (
              <tr data-line-kind={line.kind}>
                <td>
                  {line.description}
                  {hasEvidence(line) && invoice.status !== 'draft' && (
                    <>
                      {' '}
                      <a class="evidence-link no-print" href={props.evidenceHref(line.id)} download>
                        Evidence (CSV)
                      </a>
                    </>
                  )}
                  {props.lineExtra && <span class="invoice-line-extra no-print"> {props.lineExtra(line)}</span>}
                </td>
                <td>{line.quantityText ?? ''}</td>
                <td class="num">{money(line.amountMinor)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {invoice.taxMinor > 0 && (
              <tr>
                <th scope="row" colspan={2}>
                  Subtotal
                </th>
                <td class="num">{money(invoice.subtotalMinor)}</td>
              </tr>
            )}
            <tr class="invoice-total">
              <th scope="row" colspan={2}>
                Total
              </th>
              <td class="num" data-testid="invoice-total">
                {money(invoice.totalMinor)}
              </td>
            </tr>
            {invoice.paidMinor > 0 && (
              <>
                <tr>
                  <th scope="row" colspan={2}>
                    Paid and credited
                  </th>
                  <td class="num">{money(-invoice.paidMinor)}</td>
                </tr>
                <tr>
                  <th scope="row" colspan={2}>
                    Balance due
                  </th>
                  <td class="num" data-testid="invoice-balance">
                    {money(balance)}
                  </td>
                </tr>
              </>
            )}
          </tfoot>
        </table>
      </TableWrap>

      {doc.allocations.length > 0 && (
        <section class="invoice-payments">
          <h3>Payments and credits</h3>
          <ul>
            {doc.allocations.map((a) => (
              <li>
                {a.paymentId ? `Payment${a.method ? ` (${a.method.toUpperCase()}` : ''}${a.reference ? `, ${a.reference}` : ''}${a.method ? ')' : ''}${a.receivedOn ? ` received ${a.receivedOn}` : ''}` : 'Credit applied'}: {money(a.amountMinor)}
              </li>
            ))}
          </ul>
        </section>
      )}

      {doc.agreements.length > 0 && (
        <section class="invoice-agreements" data-testid="invoice-agreements">
          <h3>Agreements</h3>
          <p class="muted small">{invoice.issuedAt ? 'In force when this invoice was issued.' : 'In force today; fixed when the invoice is issued.'}</p>
          <ul>
            {doc.agreements.map((a) => (
              <li data-document-id={a.documentId}>
                {a.title}, version {a.version} (SHA-256 <code class="hash">{a.sha256.slice(0, 16)}…</code>):{' '}
                {a.acceptedAt === null ? (
                  'not accepted'
                ) : (
                  <>
                    {a.acceptedVersion === a.version ? 'accepted' : `version ${a.acceptedVersion} accepted`} <Time ms={a.acceptedAt} timezone={issuer.timezone} dateOnly />
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {issuer.remitTo && (
        <section class="invoice-remit">
          <h3>How to pay</h3>
          <p class="preserve-lines">{issuer.remitTo}</p>
        </section>
      )}
      {issuer.invoiceFooter && <footer class="invoice-footer preserve-lines">{issuer.invoiceFooter}</footer>}
    </article>
  );
}
