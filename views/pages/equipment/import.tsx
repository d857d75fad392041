import { Fragment, h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { IMPORT_COLUMNS, MAX_IMPORT_ROWS, type ImportPreview, type ImportRow } from '../../../src/equipment/csv';
import type { FieldErrors } from '../../../src/lib/errors';
import { Card, FormErrorSummary } from '../../components/form';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { formatCount } from '../../../src/lib/format';
import { TableWrap } from '../../components/table';

const COLUMN_HELP: [string, string][] = [
  ['serial', 'Serial number. A serial or a MAC is required on every row.'],
  ['mac', 'MAC address, any common form (a0:b1:…, A0-B1-…, a0b1.c2d3.e4f5).'],
  ['ip', 'IPv4 address.'],
  ['vendor, model, firmware', 'Free text.'],
  ['nominal_hashrate_ths', 'TH/s, like 104 or 98.5.'],
  ['nominal_power_w', 'Whole watts, like 3068.'],
  ['site', 'A site’s name (as under Sites) or its id.'],
  ['rack_location', 'Free text, like Row A / Rack 3.'],
  ['status', 'staged (default), unassigned or retired. Assign units to customers afterwards.'],
];

const SHOWN_GOOD_ROWS = 20;

function RowCells(props: { row: ImportRow }) {
  const { row } = props;
  return (
    <>
      <td>{row.line}</td>
      <td>{row.values.serial || <span class="muted">—</span>}</td>
      <td>{row.values.mac || <span class="muted">—</span>}</td>
      <td>{row.values.model || <span class="muted">—</span>}</td>
      <td>{row.values.site || <span class="muted">—</span>}</td>
      <td>{row.values.rack_location || <span class="muted">—</span>}</td>
      <td>{row.values.status || 'staged'}</td>
    </>
  );
}

const ROW_HEADERS = ['Line', 'Serial', 'MAC', 'Model', 'Site', 'Rack location', 'Status'];

export function ImportPreviewView(props: { preview: ImportPreview; csv: string; notice?: string }) {
  const { preview } = props;
  const bad = preview.rows.filter((row) => Object.keys(row.errors).length > 0);
  const good = preview.rows.filter((row) => row.input);
  return (
    <section id="import-preview" data-testid="import-preview">
      {props.notice && (
        <div class="alert alert-error" role="alert">
          {props.notice}
        </div>
      )}
      {preview.fileErrors.length > 0 ? (
        <div class="alert alert-error" role="alert">
          <p>This file cannot be imported:</p>
          <ul class="plain-list">
            {preview.fileErrors.map((error) => (
              <li>{error}</li>
            ))}
          </ul>
        </div>
      ) : (
        <>
          <p class="result-count" role="status" data-testid="import-summary">
            {formatCount(preview.rows.length)} rows checked: {formatCount(preview.goodCount)} ready,{' '}
            {formatCount(preview.badCount)} with errors.
          </p>
          {bad.length > 0 && (
            <Card title={`Rows with errors (${formatCount(bad.length)})`}>
              <TableWrap label="Rows with errors">
                <table class="table table-compact" data-testid="import-errors">
                  <thead>
                    <tr>
                      {ROW_HEADERS.map((header) => (
                        <th scope="col">{header}</th>
                      ))}
                      <th scope="col">What to fix</th>
                    </tr>
                  </thead>
                  <tbody>
                    {bad.map((row) => (
                      <tr data-line={row.line}>
                        <RowCells row={row} />
                        <td>
                          <ul class="plain-list">
                            {Object.entries(row.errors).map(([column, message]) => (
                              <li>
                                {column === '_row' ? '' : <code>{column}</code>}
                                {column === '_row' ? '' : ': '}
                                {message}
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </Card>
          )}
          {good.length > 0 && (
            <Card title={`Ready to import (${formatCount(good.length)})`}>
              <TableWrap label="Rows ready to import">
                <table class="table table-compact" data-testid="import-good">
                  <thead>
                    <tr>
                      {ROW_HEADERS.map((header) => (
                        <th scope="col">{header}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {good.slice(0, SHOWN_GOOD_ROWS).map((row) => (
                      <tr data-line={row.line}>
                        <RowCells row={row} />
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              {good.length > SHOWN_GOOD_ROWS && <p class="muted small">…and {formatCount(good.length - SHOWN_GOOD_ROWS)} more.</p>}
            </Card>
          )}
          {good.length > 0 && (
            // multipart: the file's text travels as-is (urlencoding would inflate it up to threefold).
            <form method="post" action="/admin/equipment/import" enctype="multipart/form-data" class="import-confirm">
              <textarea name="csv" hidden aria-hidden="true">
                {props.csv}
              </textarea>
              <input type="hidden" name="good_count" value={String(preview.goodCount)} />
              {preview.badCount === 0 ? (
                <button type="submit" name="action" value="import_all" class="btn btn-primary">
                  Import {preview.goodCount === 1 ? '1 unit' : `${formatCount(preview.goodCount)} units`}
                </button>
              ) : (
                <>
                  <p>
                    Nothing is imported from a file with errors unless you choose to import the rows that are ready. You can also fix the file and upload it
                    again.
                  </p>
                  <button type="submit" name="action" value="import_good" class="btn btn-primary">
                    Import the {preview.goodCount === 1 ? '1 good row' : `${formatCount(preview.goodCount)} good rows`}
                  </button>
                </>
              )}
            </form>
          )}
        </>
      )}
    </section>
  );
}

export function ImportPage(props: { session: StaffSession; preview?: ImportPreview; csv?: string; notice?: string; errors?: FieldErrors; imported?: number }) {
  return (
    <AdminLayout session={props.session} title="Import equipment" area="equipment">
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/admin/equipment">Equipment</a> / <span>Import CSV</span>
      </nav>
      <PageHeader
        title="Import equipment"
        actions={
          <a class="btn" href="/admin/equipment/import/template.csv">
            Download template
          </a>
        }
      />
      {props.imported !== undefined && (
        <div class="alert alert-success" role="status" data-testid="import-done">
          {props.imported === 1 ? '1 unit imported.' : `${formatCount(props.imported)} units imported.`}{' '}
          <a href="/admin/equipment?sort=-created&view=table">See them in Equipment</a>.
        </div>
      )}
      {props.preview && props.csv !== undefined && <ImportPreviewView preview={props.preview} csv={props.csv} notice={props.notice} />}
      <Card title={props.preview ? 'Upload another file' : 'Upload a CSV file'}>
        <form method="post" action="/admin/equipment/import" enctype="multipart/form-data" class="form-grid" novalidate>
          <FormErrorSummary errors={props.errors} />
          <div class={props.errors?.file ? 'field has-error' : 'field'}>
            <label for="f-file">CSV file</label>
            <input id="f-file" type="file" name="file" accept=".csv,text/csv" />
            {props.errors?.file && (
              <p class="field-error" id="file-error">
                {props.errors.file}
              </p>
            )}
          </div>
          <p class="muted small">
            The file is checked first and nothing is imported until you confirm. At most {formatCount(MAX_IMPORT_ROWS)} rows per file; units with a MAC or
            serial already in the inventory are reported as errors.
          </p>
          <button type="submit" name="action" value="preview" class="btn btn-primary">
            Check file
          </button>
        </form>
      </Card>
      <Card title="Columns">
        <p class="small">
          The first line names the columns, in any order: <code>{IMPORT_COLUMNS.join(',')}</code>. A file exported from this list imports as it is (its other
          columns are skipped).
        </p>
        <TableWrap label="CSV columns">
          <table class="table table-compact">
            <tbody>
              {COLUMN_HELP.map(([column, help]) => (
                <tr>
                  <td>
                    <code>{column}</code>
                  </td>
                  <td>{help}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </Card>
    </AdminLayout>
  );
}
