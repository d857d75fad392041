import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { TicketMessageView, DisputedLine } from '../../../src/support/service';
import { TICKET_CATEGORY_LABELS, TICKET_STATUS_LABELS, type TicketCategory, type TicketStatus } from '../../../src/support/schema';
import { ACCEPTED_ATTACHMENTS, ATTACHMENT_ACCEPT, MAX_ATTACHMENTS_PER_MESSAGE } from '../../../src/support/attachments';
import { formatDuration, formatMoney } from '../../../src/lib/format';
import type { FieldErrors } from '../../../src/lib/errors';
import { FieldMessages } from '../../components/form';
import { Time } from '../../components/time';

export function TicketStatusBadge(props: { status: TicketStatus }) {
  return <span class={`badge badge-ticket-${props.status}`}>{TICKET_STATUS_LABELS[props.status]}</span>;
}

export const CategoryLabel = (props: { category: TicketCategory }) => <>{TICKET_CATEGORY_LABELS[props.category]}</>;

/** "3h 20m" since `since`, or a dash. */
export const AgeText = (props: { since: number | null; now: number }) => <>{props.since === null ? '—' : formatDuration(Math.max(0, props.now - props.since))}</>;

const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

/**
 * The thread, oldest first. Bodies are plain text (escaped by JSX; line breaks kept by CSS).
 * Internal notes only ever reach this component on the staff side (the portal's read leaves them
 * in the database), and are marked as such.
 */
export function TicketThread(props: { messages: TicketMessageView[]; timezone: string; attachmentHref: (id: string) => string }) {
  return (
    <ol class="ticket-thread">
      {props.messages.map((m) => (
        <li class={`ticket-message ticket-message-${m.internal ? 'internal' : m.authorKind === 'customer' ? 'customer' : 'staff'}`} id={`message-${m.id}`}>
          <div class="ticket-message-head">
            <strong>{m.authorLabel}</strong>
            {m.internal && <span class="badge badge-ticket-internal">Internal note</span>} <Time ms={m.createdAt} timezone={props.timezone} />
          </div>
          <div class="ticket-message-body">{m.body}</div>
          {m.attachments.length > 0 && (
            <ul class="ticket-attachments" aria-label="Attachments">
              {m.attachments.map((a) => (
                <li>
                  <a href={props.attachmentHref(a.id)}>{a.filename}</a> <span class="muted small">({sizeText(a.sizeBytes)})</span>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}

export function AttachmentField(props: { errors?: FieldErrors }) {
  const error = props.errors?.attachments;
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for="f-attachments">
        Attachments<span class="optional"> (optional)</span>
      </label>
      <input id="f-attachments" type="file" name="attachments" multiple accept={ATTACHMENT_ACCEPT} aria-describedby={error ? 'attachments-error attachments-hint' : 'attachments-hint'} aria-invalid={error ? 'true' : undefined} />
      <FieldMessages name="attachments" error={error} hint={`Up to ${MAX_ATTACHMENTS_PER_MESSAGE} files of 10 MB each: ${ACCEPTED_ATTACHMENTS}.`} />
    </div>
  );
}

/** The questioned invoice line, as both sides see it. */
export function DisputedLineCard(props: { line: DisputedLine; invoiceHref: string; evidenceHref: string | null; children?: Child }) {
  const { line } = props;
  return (
    <section class="card ticket-dispute" aria-label="Questioned invoice line">
      <h2 class="card-title">Questioned invoice line</h2>
      <dl class="facts">
        <dt>Invoice</dt>
        <dd>
          <a href={props.invoiceHref}>{line.invoiceNumber ?? 'Invoice'}</a>
        </dd>
        <dt>Line</dt>
        <dd>{line.description}</dd>
        {line.quantityText && (
          <>
            <dt>Quantity</dt>
            <dd>{line.quantityText}</dd>
          </>
        )}
        <dt>Amount</dt>
        <dd>{formatMoney(line.amountMinor, line.currency)}</dd>
        {props.evidenceHref && (
          <>
            <dt>Evidence</dt>
            <dd>
              <a href={props.evidenceHref}>Hourly readings (CSV)</a>
            </dd>
          </>
        )}
        {line.credit && (
          <>
            <dt>Credit posted</dt>
            <dd data-testid="dispute-credit">{formatMoney(line.credit.amountMinor, line.currency)}</dd>
          </>
        )}
      </dl>
      {props.children}
    </section>
  );
}

/** Lines with an evidence CSV: energy, late usage, and fixed fees (which list the hours without power data). */
export const lineHasEvidence = (kind: string) => kind === 'energy' || kind === 'adjustment' || kind === 'unit_fee';

export type LineDisputes = Map<string, { id: string; number: number; status: TicketStatus; creditId: string | null }[]>;

/** On an invoice line: the tickets that question it, linked (staff: "Disputed"; portal: "Questioned"). */
export function LineDisputeLinks(props: { tickets: { id: string; number: number; status: TicketStatus }[]; href: (ticketId: string) => string; label: string }) {
  if (props.tickets.length === 0) return null;
  return (
    <span class="line-disputes">
      <span class="badge badge-ticket-dispute">{props.label}</span>{' '}
      {props.tickets.map((t, i) => (
        <>
          {i > 0 && ', '}
          <a href={props.href(t.id)}>
            #{t.number} ({TICKET_STATUS_LABELS[t.status].toLowerCase()})
          </a>
        </>
      ))}
    </span>
  );
}
