import { Fragment, h } from '#jsx';
import type { InvoicePreview } from '../../../src/billing/invoices';
import { formatMoney } from '../../../src/billing/money';
import { UNIT_FEE_NOTE_MAX } from '../../../src/billing/unit-fees';
import { unitLineName } from '../../../src/equipment/naming';
import type { FieldErrors } from '../../../src/lib/errors';
import { TextField } from '../../components/form';
import { TableWrap } from '../../components/table';

export interface UnitFeeValues {
  miner_ids: string[];
  all_blocked: boolean;
  fee: string;
  note: string;
}

export const EMPTY_UNIT_FEE_VALUES: UnitFeeValues = { miner_ids: [], all_blocked: false, fee: '', note: '' };

/**
 * Where the preview or a draft lists units blocked for lack of power data: the second way out
 * (the first is setting the unit's spec and recomputing), billing them a fixed fee for the period
 * instead of energy, and the fees already set, each removable while the invoice is a draft.
 * `from` says which page posted the form, so a refused form comes back to it.
 */
export function UnitFeeSection(props: { preview: InvoicePreview; canManage: boolean; from: 'preview' | 'draft'; values?: UnitFeeValues; errors?: FieldErrors }) {
  const { preview } = props;
  const values = props.values ?? EMPTY_UNIT_FEE_VALUES;
  const editable = props.canManage && (!preview.existing || preview.existing.status === 'draft');
  const minerError = props.errors?.miner_ids;
  if (preview.blockedUnits.length === 0 && preview.unitFees.length === 0) return null;
  return (
    <section class="unit-fees" aria-labelledby="unit-fees-title">
      <h3 id="unit-fees-title">Units without power data</h3>
      {preview.blockedUnits.length > 0 && (
        <>
          <p>
            These units have hours with no power reading and no nominal power, so their energy is unknown and is never billed as zero. Either set a unit's spec and recompute its
            unsealed hours (from the unit's page), or bill it a fixed fee for this period instead of energy.
          </p>
          <ul class="blocked-units">
            {preview.blockedUnits.map((u) => (
              <li data-miner-id={u.minerId}>
                <a href={`/admin/equipment/${u.minerId}`}>{unitLineName(u)}</a>: {u.hours.toLocaleString('en-US')} h without power data ({u.contractNames.join(', ')})
              </li>
            ))}
          </ul>
          {editable && (
            <form method="post" action="/admin/invoices/unit-fees" class="unit-fee-form" novalidate>
              <input type="hidden" name="customer_id" value={preview.customer.id} />
              <input type="hidden" name="period" value={preview.period.key} />
              <input type="hidden" name="from" value={props.from} />
              <fieldset class={minerError ? 'checkbox-group has-error' : 'checkbox-group'} aria-describedby={minerError ? 'miner_ids-error' : undefined}>
                <legend>Bill these units a fixed fee instead of energy</legend>
                <label class="checkbox">
                  <input type="checkbox" name="all_blocked" value="1" checked={values.all_blocked} /> All blocked units ({preview.blockedUnits.length})
                </label>
                {preview.blockedUnits.map((u) => (
                  <label class="checkbox">
                    <input type="checkbox" name="miner_ids" value={u.minerId} checked={values.miner_ids.includes(u.minerId)} /> {unitLineName(u)}
                  </label>
                ))}
                {minerError && (
                  <p class="field-error" id="miner_ids-error">
                    {minerError}
                  </p>
                )}
              </fieldset>
              <TextField
                label={`Fixed fee per unit for the period (${preview.currency})`}
                name="fee"
                value={values.fee}
                errors={props.errors}
                required
                hint="Replaces the unit's energy for the whole period: its hours with power data are not billed as energy either."
              />
              <TextField label="Note" name="note" value={values.note} errors={props.errors} maxlength={UNIT_FEE_NOTE_MAX} hint="Why, e.g. “PDU not installed yet”. Shown with the fee line's evidence." />
              <div class="form-actions">
                <button type="submit" class="btn">
                  Bill the fixed fee{preview.existing?.status === 'draft' ? ' and update the draft' : ''}
                </button>
              </div>
            </form>
          )}
        </>
      )}
      {preview.unitFees.length > 0 && (
        <TableWrap label="Fixed fees for this period">
          <table class="table" data-testid="unit-fees">
            <caption>Fixed fees set for this period</caption>
            <thead>
              <tr>
                <th scope="col">Unit</th>
                <th scope="col" class="num">
                  Fee
                </th>
                <th scope="col">Note</th>
                <th scope="col">Set by</th>
                {editable && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {preview.unitFees.map((fee) => (
                <tr data-miner-id={fee.minerId}>
                  <td>{unitLineName(fee)}</td>
                  <td class="num">{formatMoney(fee.amountMinor, fee.currency)}</td>
                  <td>{fee.note ?? '—'}</td>
                  <td>{fee.setBy}</td>
                  {editable && (
                    <td>
                      <form method="post" action="/admin/invoices/unit-fees/remove">
                        <input type="hidden" name="customer_id" value={preview.customer.id} />
                        <input type="hidden" name="period" value={preview.period.key} />
                        <input type="hidden" name="miner_id" value={fee.minerId} />
                        <input type="hidden" name="from" value={props.from} />
                        <button type="submit" class="btn btn-small">
                          Remove fee<span class="visually-hidden"> for {unitLineName(fee)}</span>
                        </button>
                      </form>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
