import { h } from '#jsx';
import type { RequiredDocument } from '../../../src/legal/service';
import type { PortalContext } from '../../../src/portal/context';
import { PortalDocumentLayout, portalHref } from '../../layouts/portal';
import { VersionContent } from './admin';

/**
 * The agreement gate: every required document the customer has not accepted (in its current
 * version), each with its own "I accept". Staff in View Portal see it, and cannot accept.
 */
export function AgreementGatePage(props: { portal: PortalContext; pending: RequiredDocument[]; error?: string }) {
  const { portal, pending } = props;
  const preview = portal.preview !== null;
  return (
    <PortalDocumentLayout portal={portal} title="Agreements">
      <h1>Before you continue</h1>
      {props.error && (
        <div class="alert alert-error" role="alert">
          {props.error}
        </div>
      )}
      {pending.length === 0 ? (
        <p>
          You have accepted every agreement. <a href={portalHref(portal, '/')}>Continue to the portal</a>
        </p>
      ) : (
        <p>
          {portal.host.name} asks {portal.customer?.name ?? 'your account'} to accept {pending.length === 1 ? 'this agreement' : `these ${pending.length} agreements`} before using the portal.
        </p>
      )}
      {preview && (
        <div class="alert alert-info" role="status">
          View Portal: staff cannot accept agreements on a customer’s behalf.
        </div>
      )}
      {pending.map(({ document, version }) => (
        <section class="agreement" aria-labelledby={`doc-${version.id}`} data-testid="agreement">
          <h2 id={`doc-${version.id}`}>
            {document.title} <span class="hint">version {version.version}</span>
          </h2>
          {version.version > 1 && version.changeNote && (
            <p class="alert alert-info">
              <strong>What changed:</strong> {version.changeNote}
            </p>
          )}
          <VersionContent version={version} downloadHref={portalHref(portal, `/agreements/${version.id}/document`)} />
          <p class="hint">
            <a href={portalHref(portal, `/agreements/${version.id}/document`)}>Download exactly this text</a> · SHA-256 <code class="hash">{version.sha256}</code>
          </p>
          <form method="post" action={portalHref(portal, `/agreements/${version.id}/accept`)}>
            <button type="submit" class="btn btn-primary" disabled={preview}>
              I accept {document.title}
            </button>
          </form>
        </section>
      ))}
      {!preview && (
        <form method="post" action={portalHref(portal, '/auth/logout')}>
          <button type="submit" class="btn btn-link">
            Sign out
          </button>
        </form>
      )}
    </PortalDocumentLayout>
  );
}
