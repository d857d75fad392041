import { Fragment, h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import type { PortalContext } from '../../../src/portal/context';
import { TICKET_CATEGORIES, TICKET_CATEGORY_LABELS, type TicketCategory } from '../../../src/support/schema';
import type { TicketDetail, TicketListItem } from '../../../src/support/service';
import { Card, EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { KeysetPagination } from '../../components/pagination';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { PortalLayout, portalHref } from '../../layouts/portal';
import { AttachmentField, CategoryLabel, DisputedLineCard, lineHasEvidence, TicketStatusBadge, TicketThread } from '../support/shared';

export function PortalSupportPage(props: { portal: PortalContext; page: { items: TicketListItem[]; total: number; page: number; pages: number }; notice?: string }) {
  const { portal, page } = props;
  const disabled = portal.preview !== null;
  const pageHref = (n: number) => portalHref(portal, n > 1 ? `/support?page=${n}` : '/support');
  return (
    <PortalLayout portal={portal} title="Support" section="support">
      <div class="page-header">
        <div>
          <h1>Support</h1>
          <p class="subtitle">Your team's tickets with {portal.host.name}.</p>
        </div>
        <div class="page-actions">
          {disabled ? (
            <span class="btn disabled" aria-disabled="true">
              Open a ticket
            </span>
          ) : (
            <a class="btn btn-primary" href={portalHref(portal, '/support/new')}>
              Open a ticket
            </a>
          )}
        </div>
      </div>
      {props.notice && (
        <p class="alert alert-success" role="status">
          {props.notice}
        </p>
      )}
      {page.items.length === 0 ? (
        <EmptyState title="No support tickets">
          <p>Open a ticket when something needs {portal.host.name}'s attention: a unit, the network, an invoice or a payout.</p>
        </EmptyState>
      ) : (
        <TableWrap label="Your tickets">
          <table class="table ticket-table">
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Status</th>
                <th scope="col">Category</th>
                <th scope="col">Opened</th>
                <th scope="col">Last activity</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((t) => (
                <tr data-ticket-id={t.id}>
                  <td>
                    <a href={portalHref(portal, `/support/${t.id}`)}>
                      #{t.number} {t.subject}
                    </a>
                  </td>
                  <td>
                    <TicketStatusBadge status={t.status} />
                  </td>
                  <td>
                    <CategoryLabel category={t.category} />
                  </td>
                  <td>
                    <Time ms={t.createdAt} timezone={portal.host.timezone} />
                  </td>
                  <td>
                    <Time ms={t.lastMessageAt} timezone={portal.host.timezone} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <KeysetPagination prevHref={page.page > 1 ? pageHref(page.page - 1) : null} nextHref={page.page < page.pages ? pageHref(page.page + 1) : null} />
    </PortalLayout>
  );
}

export interface NewTicketValues {
  subject: string;
  category: TicketCategory | '';
  message: string;
  unit_ids: string[];
  invoice_line_id: string;
}

export function PortalNewTicketPage(props: {
  portal: PortalContext;
  units: { id: string; label: string }[];
  values: NewTicketValues;
  /** "Question this line": the line being questioned, shown above the form. */
  line?: { invoiceNumber: string | null; description: string; amountText: string } | null;
  errors?: FieldErrors;
}) {
  const { portal, values, errors } = props;
  const disabled = portal.preview !== null;
  return (
    <PortalLayout portal={portal} title="Open a ticket" section="support">
      <p>
        <a href={portalHref(portal, '/support')}>← Support</a>
      </p>
      <h1>{props.line ? 'Question an invoice line' : 'Open a ticket'}</h1>
      {props.line && (
        <p class="alert alert-info" role="status">
          You are questioning “{props.line.description}” ({props.line.amountText}) on invoice {props.line.invoiceNumber}.
        </p>
      )}
      <Card>
        <form method="post" action={portalHref(portal, '/support')} enctype="multipart/form-data" class="stack">
          <FormErrorSummary errors={errors} />
          <fieldset disabled={disabled} class="plain-fieldset">
            <TextField label="Subject" name="subject" required maxlength={200} value={values.subject} errors={errors} />
            <SelectField
              label="Category"
              name="category"
              required
              value={values.category}
              errors={errors}
              options={[['', 'Choose a category'], ...TICKET_CATEGORIES.map((c) => [c, TICKET_CATEGORY_LABELS[c]] as const)]}
            />
            {props.units.length > 0 && (
              <div class={errors?.unit_ids ? 'field has-error' : 'field'}>
                <label for="f-unit_ids">
                  Units it concerns<span class="optional"> (optional)</span>
                </label>
                <select id="f-unit_ids" name="unit_ids" multiple size={Math.min(6, props.units.length)} aria-describedby="unit_ids-hint">
                  {props.units.map((u) => (
                    <option value={u.id} selected={values.unit_ids.includes(u.id)}>
                      {u.label}
                    </option>
                  ))}
                </select>
                <p class="hint" id="unit_ids-hint">
                  Hold Ctrl (⌘ on a Mac) to choose more than one.
                </p>
                {errors?.unit_ids && (
                  <p class="field-error" id="unit_ids-error">
                    {errors.unit_ids}
                  </p>
                )}
              </div>
            )}
            {props.units.length === 0 && errors?.unit_ids && <p class="field-error">{errors.unit_ids}</p>}
            <TextArea label="Message" name="message" required rows={8} maxlength={20000} value={values.message} errors={errors} />
            {values.invoice_line_id && <input type="hidden" name="invoice_line_id" value={values.invoice_line_id} />}
            {errors?.invoice_line_id && <p class="field-error">{errors.invoice_line_id}</p>}
            <AttachmentField errors={errors} />
            <button type="submit" class="btn btn-primary">
              Open ticket
            </button>
          </fieldset>
        </form>
      </Card>
    </PortalLayout>
  );
}

export function PortalTicketPage(props: { portal: PortalContext; detail: TicketDetail; errors?: FieldErrors; message?: string; notice?: string }) {
  const { portal, detail, errors } = props;
  const { ticket } = detail;
  const base = portalHref(portal, `/support/${ticket.id}`);
  const disabled = portal.preview !== null;
  return (
    <PortalLayout portal={portal} title={`#${ticket.number} ${ticket.subject}`} section="support">
      <p>
        <a href={portalHref(portal, '/support')}>← Support</a>
      </p>
      <div class="page-header">
        <div>
          <h1>
            #{ticket.number} {ticket.subject}
          </h1>
          <p class="subtitle">
            <TicketStatusBadge status={ticket.status} /> · <CategoryLabel category={ticket.category} /> · opened <Time ms={ticket.createdAt} timezone={portal.host.timezone} />
          </p>
        </div>
      </div>
      {props.notice && (
        <p class="alert alert-success" role="status">
          {props.notice}
        </p>
      )}
      {detail.units.length > 0 && (
        <p>
          Units:{' '}
          {detail.units.map((u, i) => (
            <>
              {i > 0 && ', '}
              {u.stillTheirs ? <a href={portalHref(portal, `/equipment/${u.id}`)}>{u.label}</a> : u.label}
            </>
          ))}
        </p>
      )}
      {detail.dispute && (
        <DisputedLineCard
          line={detail.dispute}
          invoiceHref={portalHref(portal, `/invoices/${detail.dispute.invoiceId}`)}
          evidenceHref={lineHasEvidence(detail.dispute.kind) ? portalHref(portal, `/invoices/${detail.dispute.invoiceId}/lines/${detail.dispute.lineId}/evidence.csv`) : null}
        />
      )}
      <TicketThread messages={detail.messages} timezone={portal.host.timezone} attachmentHref={(id) => `${base}/attachments/${id}`} />
      {ticket.status === 'closed' ? (
        <p class="muted">
          This ticket is closed. <a href={portalHref(portal, '/support/new')}>Open a new ticket</a> if you need more help.
        </p>
      ) : (
        <Card title={ticket.status === 'resolved' ? 'Reply (reopens the ticket)' : 'Reply'}>
          <form method="post" action={`${base}/replies`} enctype="multipart/form-data" class="stack">
            <FormErrorSummary errors={errors} />
            <fieldset disabled={disabled} class="plain-fieldset">
              <TextArea label="Message" name="message" required rows={5} maxlength={20000} value={props.message} errors={errors} />
              <AttachmentField errors={errors} />
              <button type="submit" class="btn btn-primary">
                Send reply
              </button>
            </fieldset>
          </form>
        </Card>
      )}
    </PortalLayout>
  );
}
