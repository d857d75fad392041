import { Fragment, h } from '#jsx';
import type { MailboxEntry, MailboxMessage } from '../../src/email/mailbox';
import { Time } from '../components/time';
import { BaseLayout } from '../layouts/base';

const STYLESHEETS = ['/css/dev-mailbox.css'];

function Status(props: { status: string }) {
  return <span class={`badge mailbox-status-${props.status}`}>{props.status}</span>;
}

function Banner() {
  return (
    <p class="alert alert-info">
      Development only: mail stored by the local outbox transport (no <code>MAILCHANNELS_API_KEY</code> set), for every host. This page does
      not exist in production.
    </p>
  );
}

export function MailboxListPage(props: { entries: MailboxEntry[] }) {
  return (
    <BaseLayout title="Mailbox · development" bodyClass="mailbox" stylesheets={STYLESHEETS}>
      <main id="main" class="mailbox-main">
        <div class="page-header">
          <div>
            <h1>Development mailbox</h1>
            <p class="subtitle">Newest first. Open a message to follow its links.</p>
          </div>
        </div>
        <Banner />
        {props.entries.length === 0 ? (
          <div class="empty-state">
            <h3>No mail yet</h3>
            <p>Invite someone to a customer's portal team or ask for a password reset, then reload.</p>
          </div>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">To</th>
                <th scope="col">Host</th>
                <th scope="col">Status</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((entry) => (
                <tr>
                  <td>
                    <a href={`/dev/mailbox/${entry.id}`}>{entry.subject}</a>
                  </td>
                  <td>{entry.to}</td>
                  <td>{entry.hostName ?? '—'}</td>
                  <td>
                    <Status status={entry.status} />
                  </td>
                  <td>
                    <Time ms={entry.sentAt ?? entry.createdAt} timezone={entry.timezone} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </BaseLayout>
  );
}

export function MailboxMessagePage(props: { message: MailboxMessage }) {
  const m = props.message;
  return (
    <BaseLayout title={`${m.subject} · Mailbox · development`} bodyClass="mailbox" stylesheets={STYLESHEETS}>
      <main id="main" class="mailbox-main">
        <nav class="breadcrumbs" aria-label="Breadcrumb">
          <a href="/dev/mailbox">Mailbox</a>
        </nav>
        <div class="page-header">
          <div>
            <h1>{m.subject}</h1>
            <p class="subtitle">
              To {m.to} · from {m.hostName ?? 'a deleted host'}
            </p>
          </div>
        </div>
        <Banner />
        <section class="card">
          <dl class="details">
            <div class="detail-row">
              <dt>Status</dt>
              <dd>
                <Status status={m.status} />
              </dd>
            </div>
            <div class="detail-row">
              <dt>Template</dt>
              <dd>{m.template}</dd>
            </div>
            <div class="detail-row">
              <dt>Transport</dt>
              <dd>{m.transport ?? '—'}</dd>
            </div>
            <div class="detail-row">
              <dt>Written</dt>
              <dd>
                <Time ms={m.createdAt} timezone={m.timezone} />
              </dd>
            </div>
            <div class="detail-row">
              <dt>Sent</dt>
              <dd>{m.status === 'sent' && m.sentAt ? <Time ms={m.sentAt} timezone={m.timezone} /> : '—'}</dd>
            </div>
            <div class="detail-row">
              <dt>Attempts</dt>
              <dd>{m.attempts}</dd>
            </div>
            {m.lastError && (
              <div class="detail-row">
                <dt>Last error</dt>
                <dd>{m.lastError}</dd>
              </div>
            )}
          </dl>
        </section>
        {m.text === null ? (
          <p class="alert alert-info">Not rendered yet: the queue consumer renders a message when it sends it. Reload in a moment.</p>
        ) : (
          <>
            <section class="card">
              <h2 class="card-title">Links in this email</h2>
              {m.links.length === 0 ? (
                <p class="muted">None.</p>
              ) : (
                <ul class="mailbox-links">
                  {m.links.map((href) => (
                    <li>
                      <a href={href} rel="noreferrer">
                        {href}
                      </a>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            {m.html !== null && (
              <section class="card">
                <h2 class="card-title">HTML version</h2>
                <p class="hint">
                  Sandboxed (no scripts, no same-origin access). It inherits this page's Content-Security-Policy, so inline styles and
                  images from other origins may not show here; real mail clients show them.
                </p>
                <iframe class="mailbox-frame" title="HTML version of the email" sandbox="" srcdoc={m.html}></iframe>
              </section>
            )}
            <section class="card">
              <h2 class="card-title">Text version</h2>
              <pre class="mailbox-text">{m.text}</pre>
            </section>
          </>
        )}
      </main>
    </BaseLayout>
  );
}
