/**
 * Email templates (DESIGN.md §6). Every message carries the HOST's identity — its name, logo,
 * colours and slogan — and never the platform's: the customer has a relationship with the host,
 * not with us. Markup is hono/jsx, so every payload and host field is escaped; URLs are checked to
 * be http(s) before they reach an href, and colours to be #rrggbb before they reach a style.
 *
 * Email clients ignore stylesheets and much of CSS, so the markup is table-based with inline
 * styles. Each template also has a plain-text version (sent as the text/plain alternative, and
 * shown by the development mailbox).
 */
import { Fragment, h } from '#jsx';
import { eq } from 'drizzle-orm';
import type { Child } from 'hono/jsx';
import type { HtmlEscapedString } from 'hono/utils/html';
import * as z from '../lib/schema';
import type { Db } from '../db/client';
import { ALERT_KIND_LABELS } from '../alerts/describe';
import { ALERT_KINDS, hosts } from '../db/schema';
import { PermanentEmailError } from './types';
import { dateFormatter, formatDate } from '../lib/format';
import { brandPalette } from '../hosts/palette';
import { blocksToText, parseBody, RichText } from '../lib/markdown';

// ---------------------------------------------------------------------------------------------
// Payloads. Validated when the outbox row is written (a caller's mistake fails in the request
// that made it) and again when it is rendered (the row is data and could be anything).

/** Only http(s): an href must never carry javascript: or data: URLs. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).check(z.maxLength(2000));
const isoInstant = z.iso.datetime({ offset: true });
const label = z.string().check(z.trim(), z.maxLength(200));

export const invitePayloadSchema = z.object({
  /** Empty when the customer's name is not known (a resend after it was deleted). */
  customerName: label,
  inviterLabel: label.check(z.minLength(1)),
  acceptUrl: httpUrl,
  expiresAt: isoInstant,
  /** Absolute URL of the host's logo; omitted = the host's name alone. */
  logoUrl: z.optional(httpUrl),
});

export const passwordResetPayloadSchema = z.object({
  name: label,
  resetUrl: httpUrl,
  expiresAt: isoInstant,
  logoUrl: z.optional(httpUrl),
});

/** An alert opened on one of the customer's miners (src/telemetry/alert-email.ts). */
export const alertPayloadSchema = z.object({
  minerLabel: label.check(z.minLength(1)),
  kind: z.enum(ALERT_KINDS),
  /** One sentence: what crossed the rule (src/alerts/describe.ts). */
  detail: z.string().check(z.trim(), z.maxLength(500)),
  openedAt: isoInstant,
  /** The miner's page in the customer's portal. */
  portalUrl: httpUrl,
  /** Alerts that opened for the same customer at the same time without an email of their own. */
  otherAlerts: z.optional(z.number().check(z.int(), z.gte(0), z.lte(1_000_000))),
  logoUrl: z.optional(httpUrl),
});

/** An invoice was issued to the customer (src/billing/invoices.ts). Amounts arrive formatted. */
export const invoicePayloadSchema = z.object({
  customerName: label,
  number: label.check(z.minLength(1)),
  periodText: label.check(z.minLength(1)),
  totalText: label.check(z.minLength(1)),
  dueOn: z.iso.date(),
  /** The invoice's page in the customer's portal (printable, with evidence). */
  invoiceUrl: httpUrl,
  /** Payment instructions (Settings → Billing), plain text. */
  remitTo: z.optional(z.string().check(z.trim(), z.maxLength(2000))),
  logoUrl: z.optional(httpUrl),
});

/** A default notice to the customer (src/default/notices.ts). Amounts arrive formatted. */
export const defaultNoticePayloadSchema = z.object({
  customerName: label,
  kind: z.enum(['opened', 'redirect_started', 'credit_posted', 'restored']),
  reason: z.optional(z.string().check(z.trim(), z.maxLength(500))),
  units: z.optional(z.number().check(z.int(), z.gte(0), z.lte(1_000_000))),
  creditText: z.optional(label),
  overdueText: z.optional(label),
  portalUrl: httpUrl,
  logoUrl: z.optional(httpUrl),
});

export type DefaultNoticePayload = z.input<typeof defaultNoticePayloadSchema>;

/** An announcement or maintenance notice to one recipient (src/notify/). The body is plain text or safe Markdown. */
export const announcementPayloadSchema = z.object({
  /** announcement; maintenance_notice (ahead of a window); maintenance_ended (when it ends). */
  phase: z.enum(['announcement', 'maintenance_notice', 'maintenance_ended']),
  body: z.string().check(z.maxLength(20_000)),
  format: z.enum(['plain', 'markdown']),
  /** The announcement in the customer's portal. */
  portalUrl: httpUrl,
  maintenance: z.optional(z.object({ siteName: label, startsAt: isoInstant, endsAt: isoInstant, units: z.number().check(z.int(), z.gte(0)) })),
  logoUrl: z.optional(httpUrl),
});

export type AnnouncementPayload = z.input<typeof announcementPayloadSchema>;
/** A support ticket event (src/support/email.ts). Never carries internal notes. */
export const ticketPayloadSchema = z.object({
  event: z.enum(['opened', 'customer_reply', 'staff_reply']),
  ticketNumber: z.number().check(z.int(), z.positive()),
  subject: z.string().check(z.trim(), z.maxLength(300)),
  customerName: label,
  authorLabel: label,
  /** The message, as written (plain text, escaped like every payload field). */
  message: z.string().check(z.maxLength(4000)),
  statusText: z.optional(label),
  /** The ticket's page: the admin app for staff, the portal for the customer. */
  ticketUrl: httpUrl,
  logoUrl: z.optional(httpUrl),
});

export type InvoicePayload = z.input<typeof invoicePayloadSchema>;
export type TicketPayload = z.input<typeof ticketPayloadSchema>;
export type InvitePayload = z.input<typeof invitePayloadSchema>;
export type AlertPayload = z.input<typeof alertPayloadSchema>;
export type PasswordResetPayload = z.input<typeof passwordResetPayloadSchema>;

// ---------------------------------------------------------------------------------------------
// Branding, read from the hosts row when the message is rendered (so it is current).

export interface EmailBrand {
  name: string;
  slogan: string | null;
  /** Always a #rrggbb colour: the host's, or a neutral fallback. */
  primaryColor: string;
  accentColor: string;
  /** Readable text colour on primaryColor (buttons). */
  onPrimaryColor: string;
  logoUrl: string | null;
  /** IANA zone the expiry times are shown in. */
  timezone: string;
}

export interface HostBrandRow {
  name: string;
  timezone: string;
  brandSlogan: string | null;
  brandPrimaryColor: string | null;
  brandAccentColor: string | null;
  /** Set once the host closed (src/team/close.ts): its customers get no more email. */
  closedAt?: number | null;
}

/** The host's identity as of now; null when the host no longer exists. */
export async function loadHostBrand(db: Db, hostId: string): Promise<HostBrandRow | null> {
  const rows = await db
    .select({
      name: hosts.name,
      timezone: hosts.timezone,
      brandSlogan: hosts.brandSlogan,
      brandPrimaryColor: hosts.brandPrimaryColor,
      brandAccentColor: hosts.brandAccentColor,
      closedAt: hosts.closedAt,
    })
    .from(hosts)
    .where(eq(hosts.id, hostId))
    .limit(1);
  return rows[0] ?? null;
}

export function brandFor(host: HostBrandRow, logoUrl: string | undefined): EmailBrand {
  return {
    name: host.name,
    slogan: host.brandSlogan?.trim() || null,
    ...brandPalette({ primaryColor: host.brandPrimaryColor, accentColor: host.brandAccentColor }),
    logoUrl: logoUrl ?? null,
    timezone: host.timezone,
  };
}

/** "14 March 2026 at 09:30 (Europe/Berlin)"; falls back to UTC if the zone is unknown. */
export function formatExpiry(iso: string, timezone: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const { zone } = dateFormatter(timezone, 'long');
  return `${formatDate(ms, zone, 'long')} (${zone})`;
}

// ---------------------------------------------------------------------------------------------
// Layout.

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";

function EmailLayout(props: { brand: EmailBrand; subject: string; preheader: string; children: Child }) {
  const { brand } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{props.subject}</title>
      </head>
      <body style={`margin:0;padding:0;background:#f4f5f7;${FONT}color:#1c2330;`}>
        {/* The preheader: the line inbox lists show after the subject. */}
        <div style="display:none;max-height:0;overflow:hidden;opacity:0;">{props.preheader}</div>
        <table role="presentation" width="100%" style="border-collapse:collapse;background:#f4f5f7;">
          <tr>
            <td align="center" style="padding:24px 12px;">
              <table
                role="presentation"
                width="100%"
                style={`max-width:560px;border-collapse:collapse;background:#ffffff;border-radius:8px;border-top:4px solid ${brand.primaryColor};`}
              >
                <tr>
                  <td style="padding:24px 32px 8px;">
                    {brand.logoUrl && (
                      <img src={brand.logoUrl} alt={brand.name} width="48" height="48" style="display:block;border:0;border-radius:6px;margin-bottom:12px;" />
                    )}
                    <div style={`${FONT}font-size:20px;font-weight:700;color:${brand.primaryColor};`}>
                      {brand.name}
                    </div>
                    {brand.slogan && <div style={`${FONT}font-size:13px;color:${brand.accentColor};margin-top:2px;`}>{brand.slogan}</div>}
                  </td>
                </tr>
                <tr>
                  <td style={`padding:16px 32px 24px;${FONT}font-size:15px;line-height:1.5;`}>{props.children}</td>
                </tr>
                <tr>
                  <td style={`padding:16px 32px 24px;border-top:1px solid #e5e7eb;${FONT}font-size:12px;color:#6b7280;`}>
                    {brand.name}
                    {brand.slogan ? ` · ${brand.slogan}` : ''}
                  </td>
                </tr>
              </table>
            </td>
          </tr>
        </table>
      </body>
    </html>
  );
}

function Button(props: { brand: EmailBrand; href: string; children: Child }) {
  const { brand } = props;
  return (
    <table role="presentation" style="border-collapse:collapse;margin:20px 0;">
      <tr>
        <td style={`border-radius:6px;background:${brand.primaryColor};`}>
          <a
            href={props.href}
            style={`display:inline-block;padding:12px 22px;${FONT}font-size:15px;font-weight:600;color:${brand.onPrimaryColor};text-decoration:none;border-radius:6px;`}
          >
            {props.children}
          </a>
        </td>
      </tr>
    </table>
  );
}

/** The link spelled out, for clients that strip buttons. */
function LinkFallback(props: { brand: EmailBrand; href: string }) {
  return (
    <p style="font-size:13px;color:#6b7280;">
      If the button does not work, copy this link into your browser:
      <br />
      <a href={props.href} style={`color:${props.brand.accentColor};word-break:break-all;`}>
        {props.href}
      </a>
    </p>
  );
}

// ---------------------------------------------------------------------------------------------
// Templates.

export interface RenderedEmail {
  html: string;
  text: string;
}

interface TemplateDefinition<S extends z.ZodMiniType<{ logoUrl?: string | undefined }>> {
  schema: S;
  render(payload: z.output<S>, brand: EmailBrand, subject: string): { html: HtmlEscapedString | Promise<HtmlEscapedString>; text: string[] };
}

const define = <S extends z.ZodMiniType<{ logoUrl?: string | undefined }>>(definition: TemplateDefinition<S>) => definition;

const invite = define({
  schema: invitePayloadSchema,
  render(p, brand, subject) {
    const expires = formatExpiry(p.expiresAt, brand.timezone);
    const joining = p.customerName ? `${p.customerName} on the ${brand.name} customer portal` : `the ${brand.name} customer portal`;
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={`${p.inviterLabel} invited you to join ${joining}.`}>
          <p style="margin:0 0 12px;">Hello,</p>
          <p style="margin:0 0 12px;">
            <strong>{p.inviterLabel}</strong> invited you to join{' '}
            {p.customerName ? (
              <>
                <strong>{p.customerName}</strong> on{' '}
              </>
            ) : null}
            the {brand.name} customer portal, where you can follow your miners, contracts and invoices.
          </p>
          <Button brand={brand} href={p.acceptUrl}>
            Accept invitation
          </Button>
          <p style="margin:0 0 12px;">This invitation expires on {expires} and can be used once.</p>
          <LinkFallback brand={brand} href={p.acceptUrl} />
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">If you did not expect this invitation, you can ignore this email.</p>
        </EmailLayout>
      ),
      text: [
        'Hello,',
        '',
        `${p.inviterLabel} invited you to join ${joining}, where you can follow your miners, contracts and invoices.`,
        '',
        'Accept the invitation:',
        p.acceptUrl,
        '',
        `This invitation expires on ${expires} and can be used once.`,
        '',
        'If you did not expect this invitation, you can ignore this email.',
      ],
    };
  },
});

const passwordReset = define({
  schema: passwordResetPayloadSchema,
  render(p, brand, subject) {
    const expires = formatExpiry(p.expiresAt, brand.timezone);
    const greeting = p.name ? `Hello ${p.name},` : 'Hello,';
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={`Reset the password of your ${brand.name} portal account.`}>
          <p style="margin:0 0 12px;">{greeting}</p>
          <p style="margin:0 0 12px;">We received a request to reset the password of your {brand.name} customer portal account.</p>
          <Button brand={brand} href={p.resetUrl}>
            Choose a new password
          </Button>
          <p style="margin:0 0 12px;">This link expires on {expires} and can be used once.</p>
          <LinkFallback brand={brand} href={p.resetUrl} />
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">
            If you did not ask for this, ignore this email: your password stays as it is.
          </p>
        </EmailLayout>
      ),
      text: [
        greeting,
        '',
        `We received a request to reset the password of your ${brand.name} customer portal account.`,
        '',
        'Choose a new password:',
        p.resetUrl,
        '',
        `This link expires on ${expires} and can be used once.`,
        '',
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ],
    };
  },
});

const alert = define({
  schema: alertPayloadSchema,
  render(p, brand, subject) {
    const kind = ALERT_KIND_LABELS[p.kind];
    const opened = formatExpiry(p.openedAt, brand.timezone);
    const others =
      p.otherAlerts && p.otherAlerts > 0
        ? `${p.otherAlerts === 1 ? 'One more alert' : `${p.otherAlerts} more alerts`} opened on your miners at the same time; the portal lists them all.`
        : null;
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={`${kind}: ${p.minerLabel}. ${p.detail}`}>
          <p style="margin:0 0 12px;">Hello,</p>
          <p style="margin:0 0 12px;">
            An alert opened on one of your miners hosted by {brand.name}:
          </p>
          <table role="presentation" style="border-collapse:collapse;margin:0 0 12px;width:100%;">
            <tr>
              <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">Alert</td>
              <td style={`padding:6px 0;font-size:15px;font-weight:700;color:${brand.primaryColor};`}>{kind}</td>
            </tr>
            <tr>
              <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">Miner</td>
              <td style="padding:6px 0;font-size:15px;">{p.minerLabel}</td>
            </tr>
            <tr>
              <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">Detail</td>
              <td style="padding:6px 0;font-size:15px;">{p.detail}</td>
            </tr>
            <tr>
              <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">Opened</td>
              <td style="padding:6px 0;font-size:15px;">{opened}</td>
            </tr>
          </table>
          {others && <p style="margin:0 0 12px;">{others}</p>}
          <Button brand={brand} href={p.portalUrl}>
            View the miner
          </Button>
          <LinkFallback brand={brand} href={p.portalUrl} />
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">
            You receive this email because {brand.name} sends alert emails for the miners it hosts for you.
          </p>
        </EmailLayout>
      ),
      text: [
        'Hello,',
        '',
        `An alert opened on one of your miners hosted by ${brand.name}:`,
        '',
        `Alert:  ${kind}`,
        `Miner:  ${p.minerLabel}`,
        `Detail: ${p.detail}`,
        `Opened: ${opened}`,
        ...(others ? ['', others] : []),
        '',
        'View the miner:',
        p.portalUrl,
        '',
        `You receive this email because ${brand.name} sends alert emails for the miners it hosts for you.`,
      ],
    };
  },
});

const invoice = define({
  schema: invoicePayloadSchema,
  render(p, brand, subject) {
    const greeting = p.customerName ? `Hello ${p.customerName},` : 'Hello,';
    const rows: [string, string][] = [
      ['Invoice', p.number],
      ['Period', p.periodText],
      ['Amount due', p.totalText],
      ['Due', p.dueOn],
    ];
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={`Invoice ${p.number}: ${p.totalText} due ${p.dueOn}.`}>
          <p style="margin:0 0 12px;">{greeting}</p>
          <p style="margin:0 0 12px;">{brand.name} has issued a new invoice for your hosting.</p>
          <table role="presentation" style="border-collapse:collapse;margin:0 0 12px;width:100%;">
            {rows.map(([k, v]) => (
              <tr>
                <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">{k}</td>
                <td style="padding:6px 0;font-size:15px;">{v}</td>
              </tr>
            ))}
          </table>
          <Button brand={brand} href={p.invoiceUrl}>
            View the invoice
          </Button>
          <LinkFallback brand={brand} href={p.invoiceUrl} />
          {p.remitTo && <p style="margin:12px 0 0;font-size:14px;white-space:pre-line;">{`How to pay:\n${p.remitTo}`}</p>}
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">
            Every energy line on the invoice links to the hourly readings it was computed from.
          </p>
        </EmailLayout>
      ),
      text: [
        greeting,
        '',
        `${brand.name} has issued a new invoice for your hosting.`,
        '',
        ...rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`),
        '',
        'View the invoice:',
        p.invoiceUrl,
        ...(p.remitTo ? ['', 'How to pay:', p.remitTo] : []),
      ],
    };
  },
});

/** The sentences of each default notice (plain text; the HTML shows the same lines). */
function defaultNoticeLines(p: z.output<typeof defaultNoticePayloadSchema>, hostName: string): string[] {
  switch (p.kind) {
    case 'opened':
      return [
        `${hostName} has placed your account in default${p.reason ? `: ${p.reason}` : '.'}`,
        'Please pay the overdue balance. If it stays unpaid, your miners may be pointed at our holding pool, and the hashrate they produce there is credited against what you owe.',
      ];
    case 'redirect_started':
      return [
        `${hostName} has pointed ${p.units ?? 'your'} of your miners at its holding pool because of the overdue balance.`,
        'The hashrate they deliver there is valued daily and credited against your oldest overdue invoice. Your pools are restored once the overdue balance is paid.',
      ];
    case 'credit_posted':
      return [`Your redirected miners have earned ${p.creditText ?? 'a credit'} so far, credited against your overdue invoices.`, `Still overdue: ${p.overdueText ?? 'see your portal'}.`];
    case 'restored':
      return [`${hostName} is pointing your miners back at the pools they mined on before the redirect.`, 'Thank you. Your portal shows each unit as it confirms.'];
  }
}

const defaultNotice = define({
  schema: defaultNoticePayloadSchema,
  render(p, brand, subject) {
    const greeting = p.customerName ? `Hello ${p.customerName},` : 'Hello,';
    const lines = defaultNoticeLines(p, brand.name);
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={lines[0]!}>
          <p style="margin:0 0 12px;">{greeting}</p>
          {lines.map((line) => (
            <p style="margin:0 0 12px;">{line}</p>
          ))}
          <Button brand={brand} href={p.portalUrl}>
            Open your portal
          </Button>
          <LinkFallback brand={brand} href={p.portalUrl} />
        </EmailLayout>
      ),
      text: [greeting, '', ...lines.flatMap((line) => [line, '']), 'Open your portal:', p.portalUrl],
    };
  },
});

const announcement = define({
  schema: announcementPayloadSchema,
  render(p, brand, subject) {
    const blocks = parseBody(p.body, p.format);
    const window = p.maintenance
      ? {
          rows: [
            ['Site', p.maintenance.siteName],
            ['Starts', formatExpiry(p.maintenance.startsAt, brand.timezone)],
            ['Ends', formatExpiry(p.maintenance.endsAt, brand.timezone)],
            ['Your units', String(p.maintenance.units)],
          ] as [string, string][],
          intro:
            p.phase === 'maintenance_ended'
              ? 'This maintenance window has ended. Your units are back in normal operation; downtime during the window was recorded as planned.'
              : 'Planned maintenance will affect units we host for you. Alerts for them are paused during the window, and the downtime is recorded as planned.',
        }
      : null;
    const linkStyle = `color:${brand.accentColor};`;
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={subject}>
          <p style={`margin:0 0 12px;font-size:18px;font-weight:700;color:${brand.primaryColor};`}>{subject}</p>
          {window && <p style="margin:0 0 12px;">{window.intro}</p>}
          {window && (
            <table role="presentation" style="border-collapse:collapse;margin:0 0 12px;width:100%;">
              {window.rows.map(([k, v]) => (
                <tr>
                  <td style="padding:6px 12px 6px 0;color:#6b7280;font-size:14px;white-space:nowrap;vertical-align:top;">{k}</td>
                  <td style="padding:6px 0;font-size:15px;">{v}</td>
                </tr>
              ))}
            </table>
          )}
          <RichText blocks={blocks} headingBase={3} styles={{ paragraph: 'margin:0 0 12px;', heading: 'margin:16px 0 8px;', list: 'margin:0 0 12px;padding-left:20px;', link: linkStyle }} class="body" />
          <Button brand={brand} href={p.portalUrl}>
            Open in the portal
          </Button>
          <LinkFallback brand={brand} href={p.portalUrl} />
        </EmailLayout>
      ),
      text: [
        subject,
        '',
        ...(window ? [window.intro, '', ...window.rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`), ''] : []),
        ...blocksToText(blocks),
        '',
        'Open in the portal:',
        p.portalUrl,
      ],
    };
  },
});

const TICKET_INTROS = {
  opened: (p: { customerName: string; authorLabel: string }) => `${p.authorLabel} (${p.customerName}) opened a support ticket.`,
  customer_reply: (p: { customerName: string; authorLabel: string }) => `${p.authorLabel} (${p.customerName}) replied to a support ticket.`,
  staff_reply: (_p: { customerName: string; authorLabel: string }, host: string) => `${host} support replied to your ticket.`,
} as const;

const ticket = define({
  schema: ticketPayloadSchema,
  render(p, brand, subject) {
    const intro = TICKET_INTROS[p.event](p, brand.name);
    const action = p.event === 'staff_reply' ? 'View the ticket and reply' : 'Open the ticket';
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={intro}>
          <p style="margin:0 0 12px;">{intro}</p>
          <p style="margin:0 0 4px;font-size:14px;color:#6b7280;">
            Ticket #{p.ticketNumber}
            {p.statusText ? ` · ${p.statusText}` : ''}
          </p>
          <p style={`margin:0 0 12px;font-size:16px;font-weight:700;color:${brand.primaryColor};`}>{p.subject}</p>
          <div style="margin:0 0 12px;padding:12px 16px;border-left:3px solid #e5e7eb;background:#f9fafb;white-space:pre-wrap;font-size:15px;">{p.message}</div>
          <Button brand={brand} href={p.ticketUrl}>
            {action}
          </Button>
          <LinkFallback brand={brand} href={p.ticketUrl} />
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">Reply from the ticket's page: replies to this email are not read.</p>
        </EmailLayout>
      ),
      text: [
        intro,
        '',
        `Ticket #${p.ticketNumber}${p.statusText ? ` · ${p.statusText}` : ''}: ${p.subject}`,
        '',
        p.message,
        '',
        `${action}:`,
        p.ticketUrl,
        '',
        "Reply from the ticket's page: replies to this email are not read.",
      ],
    };
  },
});

/** A quote sent to a prospect (src/quotes/service.ts): a link to its public page. */
export const quotePayloadSchema = z.object({
  prospectName: label,
  number: label.check(z.minLength(1)),
  monthlyText: label.check(z.minLength(1)),
  validUntil: z.iso.date(),
  quoteUrl: httpUrl,
  logoUrl: z.optional(httpUrl),
});
export type QuotePayload = z.input<typeof quotePayloadSchema>;

const quote = define({
  schema: quotePayloadSchema,
  render(p, brand, subject) {
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={`Your quote ${p.number} from ${brand.name}.`}>
          <p style="margin:0 0 12px;">Hello {p.prospectName},</p>
          <p style="margin:0 0 12px;">
            {brand.name} prepared quote <strong>{p.number}</strong> for you: an estimated <strong>{p.monthlyText}</strong> a month. You can read it, accept it or
            decline it online until {p.validUntil}.
          </p>
          <Button brand={brand} href={p.quoteUrl}>
            View the quote
          </Button>
          <LinkFallback brand={brand} href={p.quoteUrl} />
        </EmailLayout>
      ),
      text: [`Hello ${p.prospectName},`, '', `${brand.name} prepared quote ${p.number} for you: an estimated ${p.monthlyText} a month.`, `Read, accept or decline it until ${p.validUntil}:`, p.quoteUrl],
    };
  },
});

/** A prospect viewed, accepted or declined a quote: told to the staff member who made it. */
export const quoteEventPayloadSchema = z.object({
  number: label.check(z.minLength(1)),
  prospectName: label,
  event: z.enum(['viewed', 'accepted', 'declined']),
  detail: z.optional(z.string().check(z.trim(), z.maxLength(1000))),
  quoteUrl: httpUrl,
  logoUrl: z.optional(httpUrl),
});
export type QuoteEventPayload = z.input<typeof quoteEventPayloadSchema>;

const quoteEvent = define({
  schema: quoteEventPayloadSchema,
  render(p, brand, subject) {
    const line = `${p.prospectName} ${p.event} quote ${p.number}.`;
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={line}>
          <p style="margin:0 0 12px;">{line}</p>
          {p.detail && <p style="margin:0 0 12px;">{p.detail}</p>}
          <Button brand={brand} href={p.quoteUrl}>
            Open the quote
          </Button>
        </EmailLayout>
      ),
      text: [line, ...(p.detail ? ['', p.detail] : []), '', p.quoteUrl],
    };
  },
});

/**
 * Staff-side messages (issue 16: a staff invitation, an ownership transfer, an export ready, a
 * host closing). Staff are not the host's customers, so these carry the platform's name, never
 * the host's white label; the host is named in the text.
 */
export const platformNoticePayloadSchema = z.object({
  greeting: label,
  /** One to six plain paragraphs. */
  paragraphs: z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))).check(z.minLength(1), z.maxLength(6)),
  actionLabel: label.check(z.minLength(1)),
  actionUrl: httpUrl,
  /** When the link stops working; omitted for a link that does not expire. */
  expiresAt: z.optional(isoInstant),
  logoUrl: z.optional(httpUrl),
});
export type PlatformNoticePayload = z.input<typeof platformNoticePayloadSchema>;

export const PLATFORM_BRAND_ROW: HostBrandRow = { name: 'Hashyard', timezone: 'UTC', brandSlogan: null, brandPrimaryColor: null, brandAccentColor: null };

const platformNotice = define({
  schema: platformNoticePayloadSchema,
  render(p, brand, subject) {
    const expires = p.expiresAt ? formatExpiry(p.expiresAt, brand.timezone) : null;
    const greeting = p.greeting || 'Hello,';
    return {
      html: (
        <EmailLayout brand={brand} subject={subject} preheader={p.paragraphs[0] ?? subject}>
          <p style="margin:0 0 12px;">{greeting}</p>
          {p.paragraphs.map((paragraph) => (
            <p style="margin:0 0 12px;">{paragraph}</p>
          ))}
          <Button brand={brand} href={p.actionUrl}>
            {p.actionLabel}
          </Button>
          {expires && <p style="margin:0 0 12px;">This link expires on {expires}.</p>}
          <LinkFallback brand={brand} href={p.actionUrl} />
          <p style="margin:12px 0 0;font-size:13px;color:#6b7280;">If you did not expect this email, you can ignore it.</p>
        </EmailLayout>
      ),
      text: [
        greeting,
        '',
        ...p.paragraphs.flatMap((paragraph) => [paragraph, '']),
        `${p.actionLabel}:`,
        p.actionUrl,
        ...(expires ? ['', `This link expires on ${expires}.`] : []),
        '',
        'If you did not expect this email, you can ignore it.',
      ],
    };
  },
});

/** Templates sent under the platform's name rather than the host's (see platformNoticePayloadSchema). */
export const isPlatformTemplate = (template: string) => template === 'platform_notice';

export const TEMPLATES = { invite, password_reset: passwordReset, alert, invoice, default_notice: defaultNotice, announcement, ticket, quote, quote_event: quoteEvent, platform_notice: platformNotice } as const;

export type EmailTemplate = keyof typeof TEMPLATES;

/** A template name with its payload, as producers pass it (a typo in either is a type error). */
export type EmailContent =
  | { template: 'invite'; payload: InvitePayload }
  | { template: 'password_reset'; payload: PasswordResetPayload }
  | { template: 'alert'; payload: AlertPayload }
  | { template: 'invoice'; payload: InvoicePayload }
  | { template: 'default_notice'; payload: DefaultNoticePayload }
  | { template: 'announcement'; payload: AnnouncementPayload }
  | { template: 'ticket'; payload: TicketPayload }
  | { template: 'quote'; payload: QuotePayload }
  | { template: 'quote_event'; payload: QuoteEventPayload }
  | { template: 'platform_notice'; payload: PlatformNoticePayload };

export const isEmailTemplate = (name: string): name is EmailTemplate => Object.hasOwn(TEMPLATES, name);

/** Checks a payload against its template's schema; returns the normalised payload to store. */
export function validatePayload(content: EmailContent): Record<string, unknown> {
  const result = TEMPLATES[content.template].schema.safeParse(content.payload);
  if (!result.success) {
    throw new Error(`Invalid ${content.template} email payload: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

function parseStoredPayload(template: string, payloadJson: string) {
  if (!isEmailTemplate(template)) throw new PermanentEmailError(`Unknown email template "${template}".`);
  let data: unknown;
  try {
    data = JSON.parse(payloadJson);
  } catch {
    throw new PermanentEmailError(`The ${template} payload is not valid JSON.`);
  }
  const result = TEMPLATES[template].schema.safeParse(data);
  if (!result.success) throw new PermanentEmailError(`Invalid ${template} email payload: ${z.prettifyError(result.error)}`);
  return { template, payload: result.data };
}

/**
 * Renders an outbox row's template with the host's branding. Throws PermanentEmailError for an
 * unknown template or a payload that does not match it (retrying cannot fix either).
 */
export async function renderEmail(
  row: { template: string; payload: string; subject: string },
  host: HostBrandRow,
): Promise<RenderedEmail> {
  const { template, payload } = parseStoredPayload(row.template, row.payload);
  const brand = isPlatformTemplate(template) ? brandFor(PLATFORM_BRAND_ROW, undefined) : brandFor(host, payload.logoUrl);
  // The union of definitions is not callable with the union of payloads; the pair was parsed together.
  const definition = TEMPLATES[template] as TemplateDefinition<z.ZodMiniType<typeof payload>>;
  const { html, text } = definition.render(payload, brand, row.subject);
  const footer = brand.slogan ? `${brand.name} · ${brand.slogan}` : brand.name;
  return {
    // toString() of a hono/jsx node may be a promise (async components); awaiting covers both.
    html: `<!DOCTYPE html>${await (await html).toString()}`,
    text: [brand.name, '', ...text, '', '--', footer, ''].join('\n'),
  };
}
