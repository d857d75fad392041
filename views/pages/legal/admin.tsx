import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { CustomerDetail } from '../../../src/customers/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { parseMarkdown, RichText } from '../../../src/lib/markdown';
import { AUDIENCE_LABELS, AUDIENCES, type CustomerLegalRow, type DocumentListItem, type LegalDocumentRow, type LegalVersionRow } from '../../../src/legal/service';
import { ConfirmAction } from '../../components/confirm';
import { Card, EmptyState, FormErrorSummary, SelectField, TextArea, TextField } from '../../components/form';
import { TableWrap } from '../../components/table';
import { Time } from '../../components/time';
import { CustomerShell } from '../customers/detail';
import { SettingsShell } from '../settings';

export interface DocumentFormValues {
  title: string;
  required_for: string;
  format: string;
  body: string;
  change_note: string;
}

const AUDIENCE_OPTIONS = AUDIENCES.map((key) => [key, AUDIENCE_LABELS[key]] as const);
const FORMAT_OPTIONS = [
  ['markdown', 'Written here (Markdown)'],
  ['pdf', 'Uploaded PDF'],
] as const;

/** The content fields of a version: written text or a PDF (checked from its bytes on the server). */
function VersionFields(props: { values: Partial<DocumentFormValues>; errors?: FieldErrors; changeNoteRequired: boolean }) {
  const { values, errors } = props;
  return (
    <>
      <SelectField label="Format" name="format" value={values.format ?? 'markdown'} options={FORMAT_OPTIONS} errors={errors} />
      <TextArea
        label="Text (when written here)"
        name="body"
        value={values.body}
        rows={14}
        errors={errors}
        hint="Markdown: # headings, **bold**, *emphasis*, - lists, 1. numbered lists, [links](https://…). Anything else shows as plain text."
      />
      <div class={errors?.file ? 'field has-error' : 'field'}>
        <label for="f-file">
          PDF file (when uploading)<span class="optional"> (up to 10 MB)</span>
        </label>
        <input id="f-file" type="file" name="file" accept="application/pdf,.pdf" aria-describedby={errors?.file ? 'file-error' : undefined} />
        {errors?.file && (
          <p class="field-error" id="file-error">
            {errors.file}
          </p>
        )}
      </div>
      <TextField
        label="What changed"
        name="change_note"
        value={values.change_note}
        errors={errors}
        required={props.changeNoteRequired}
        maxlength={1000}
        hint="Shown to customers when they are asked to accept this version."
      />
    </>
  );
}

export function LegalDocumentsPage(props: { session: StaffSession; documents: DocumentListItem[]; editable: boolean; values?: Partial<DocumentFormValues>; errors?: FieldErrors; notice?: string }) {
  const { documents } = props;
  return (
    <SettingsShell session={props.session} section="legal" title="Legal documents">
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <p class="lead">
        Agreements your customers accept before using the portal. Publishing a new version asks every customer it applies to to accept again; each acceptance records
        who, when, the version, the SHA-256 of exactly what was shown, and the IP address.
      </p>
      {documents.length === 0 ? (
        <EmptyState title="No legal documents yet">
          <p>Write your hosting agreement below, or upload it as a PDF.</p>
        </EmptyState>
      ) : (
        <TableWrap label="Legal documents">
          <table class="table" data-testid="legal-documents">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Who must accept</th>
                <th scope="col">Version</th>
                <th scope="col">Published</th>
                <th scope="col" class="num">
                  Acceptances
                </th>
              </tr>
            </thead>
            <tbody>
              {documents.map((doc) => (
                <tr>
                  <td>
                    <a href={`/admin/settings/legal/${doc.id}`}>{doc.title}</a>
                  </td>
                  <td>{AUDIENCE_LABELS[doc.requiredFor]}</td>
                  <td>{doc.currentVersion ? `v${doc.currentVersion} (${doc.format === 'pdf' ? 'PDF' : 'text'})` : '—'}</td>
                  <td>{doc.publishedAt ? <Time ms={doc.publishedAt} timezone={props.session.host.timezone} /> : '—'}</td>
                  <td class="num">{doc.acceptances}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {props.editable ? (
        <Card title="New document">
          <form method="post" action="/admin/settings/legal" enctype="multipart/form-data" novalidate id="legal-new">
            <FormErrorSummary errors={props.errors} />
            <TextField label="Title" name="title" value={props.values?.title} errors={props.errors} required maxlength={200} />
            <SelectField label="Who must accept" name="required_for" value={props.values?.required_for ?? 'all'} options={AUDIENCE_OPTIONS} errors={props.errors} />
            <VersionFields values={props.values ?? {}} errors={props.errors} changeNoteRequired={false} />
            <button type="submit" class="btn btn-primary">
              Publish version 1
            </button>
          </form>
        </Card>
      ) : (
        <div class="alert alert-info" role="status">
          Only owners and admins can publish legal documents.
        </div>
      )}
    </SettingsShell>
  );
}

export function VersionContent(props: { version: LegalVersionRow; downloadHref: string }) {
  const { version } = props;
  if (version.format === 'pdf') {
    return (
      <p>
        PDF, {Math.ceil(version.sizeBytes / 1024).toLocaleString('en-US')} KB: <a href={props.downloadHref}>Open {version.fileName ?? 'the PDF'}</a>
      </p>
    );
  }
  // The page's own h1 is the document's title: the text's headings start at h2.
  return <RichText blocks={parseMarkdown(version.body ?? '')} headingBase={2} class="legal-text" />;
}

export function LegalDocumentPage(props: {
  session: StaffSession;
  document: LegalDocumentRow;
  versions: LegalVersionRow[];
  editable: boolean;
  values?: Partial<DocumentFormValues>;
  errors?: FieldErrors;
  notice?: string;
}) {
  const { document, versions, session } = props;
  const base = `/admin/settings/legal/${document.id}`;
  const current = versions.find((v) => v.id === document.currentVersionId) ?? null;
  return (
    <SettingsShell session={session} section="legal" title={document.title}>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/settings/legal">Legal documents</a> / <span>{document.title}</span>
      </nav>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      {document.archivedAt && (
        <div class="alert alert-info" role="status">
          Archived: this document no longer gates the portal. Its versions and acceptances are kept.
        </div>
      )}
      <h2>{document.title}</h2>
      <p>
        {AUDIENCE_LABELS[document.requiredFor]} · <a href={`${base}/acceptances.csv`}>Acceptances (CSV)</a>
      </p>
      {current && (
        <Card title={`Version ${current.version} (current)`}>
          <p class="hint">
            SHA-256 <code class="hash">{current.sha256}</code>
          </p>
          <VersionContent version={current} downloadHref={`${base}/versions/${current.id}/file`} />
        </Card>
      )}
      <Card title="Versions">
        <TableWrap label="Versions">
          <table class="table table-compact" data-testid="legal-versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Published</th>
                <th scope="col">By</th>
                <th scope="col">What changed</th>
                <th scope="col">SHA-256</th>
                <th scope="col">File</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr>
                  <td>v{v.version}</td>
                  <td>
                    <Time ms={v.publishedAt} timezone={session.host.timezone} />
                  </td>
                  <td>{v.publishedByLabel}</td>
                  <td>{v.changeNote ?? '—'}</td>
                  <td>
                    <code class="hash">{v.sha256.slice(0, 16)}…</code>
                  </td>
                  <td>
                    <a href={`${base}/versions/${v.id}/file`}>Download</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Card>
      {props.editable && !document.archivedAt && (
        <>
          <Card title="Publish a new version">
            <form method="post" action={`${base}/versions`} enctype="multipart/form-data" novalidate id="legal-version">
              <FormErrorSummary errors={props.errors} />
              <VersionFields values={props.values ?? { format: current?.format ?? 'markdown', body: current?.body ?? '' }} errors={props.errors} changeNoteRequired />
              <button type="submit" class="btn btn-primary">
                Publish version {(versions[0]?.version ?? 0) + 1}
              </button>
            </form>
          </Card>
          <Card title="Settings">
            <form method="post" action={base} novalidate>
              <TextField label="Title" name="title" value={document.title} required maxlength={200} />
              <SelectField label="Who must accept" name="required_for" value={document.requiredFor} options={AUDIENCE_OPTIONS} />
              <button type="submit" class="btn">
                Save
              </button>
            </form>
          </Card>
        </>
      )}
      {props.editable &&
        (document.archivedAt ? (
          <form method="post" action={`${base}/restore`}>
            <button type="submit" class="btn">
              Restore
            </button>
          </form>
        ) : (
          <ConfirmAction
            action={`${base}/archive`}
            label="Archive"
            consequence="Customers will no longer be asked to accept this document. Its versions and acceptances are kept."
            confirmLabel="Archive document"
          />
        ))}
    </SettingsShell>
  );
}

export function CustomerLegalTab(props: { session: StaffSession; customer: CustomerDetail; rows: CustomerLegalRow[] }) {
  const { customer, rows, session } = props;
  const tz = session.host.timezone;
  return (
    <CustomerShell session={session} customer={customer} tab="legal">
      {rows.length === 0 ? (
        <EmptyState title="No legal documents apply">
          <p>
            Documents published in <a href="/admin/settings/legal">Settings → Legal documents</a> that this customer must accept will be listed here with their acceptances.
          </p>
        </EmptyState>
      ) : (
        <TableWrap label="Legal documents and acceptances">
          <table class="table" data-testid="customer-legal">
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Current version</th>
                <th scope="col">Accepted version</th>
                <th scope="col">Accepted</th>
                <th scope="col">By</th>
                <th scope="col">IP</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Accepted text</th>
              </tr>
            </thead>
            <tbody>
              {rows.flatMap((row) => {
                const latest = row.acceptances[0];
                const upToDate = latest && row.currentVersion && latest.versionId === row.currentVersion.id;
                const first = (
                  <tr>
                    <td>
                      {row.document.title}
                      {!row.required && <span class="hint"> (no longer required)</span>}
                    </td>
                    <td>{row.currentVersion ? `v${row.currentVersion.version}` : '—'}</td>
                    {latest ? (
                      <>
                        <td>
                          v{latest.version}{' '}
                          {upToDate ? <span class="badge badge-active">Current</span> : <span class="badge badge-in_default">Needs re-acceptance</span>}
                        </td>
                        <td>
                          <Time ms={latest.acceptedAt} timezone={tz} />
                        </td>
                        <td>
                          {latest.acceptedByName} <span class="hint">{latest.acceptedByEmail}</span>
                        </td>
                        <td>{latest.ip ?? '—'}</td>
                        <td>
                          <code class="hash" title={latest.sha256}>
                            {latest.sha256}
                          </code>
                        </td>
                        <td>
                          <a href={`/admin/customers/${customer.id}/legal/acceptances/${latest.id}/file`}>Download</a>
                        </td>
                      </>
                    ) : (
                      <td colspan={6}>
                        <span class="badge badge-in_default">Not accepted</span>
                      </td>
                    )}
                  </tr>
                );
                const older = row.acceptances.slice(1).map((a) => (
                  <tr class="row-history">
                    <td>
                      <span class="hint">{row.document.title}, earlier</span>
                    </td>
                    <td></td>
                    <td>v{a.version}</td>
                    <td>
                      <Time ms={a.acceptedAt} timezone={tz} />
                    </td>
                    <td>
                      {a.acceptedByName} <span class="hint">{a.acceptedByEmail}</span>
                    </td>
                    <td>{a.ip ?? '—'}</td>
                    <td>
                      <code class="hash" title={a.sha256}>
                        {a.sha256}
                      </code>
                    </td>
                    <td>
                      <a href={`/admin/customers/${customer.id}/legal/acceptances/${a.id}/file`}>Download</a>
                    </td>
                  </tr>
                ));
                return [first, ...older];
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
    </CustomerShell>
  );
}
