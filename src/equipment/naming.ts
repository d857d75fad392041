/**
 * How a unit (miner) is named to people: one rule for the part that tells units apart, in the
 * lengths the pages, activity log, alerts, emails and invoices need. Everything that names a unit
 * calls one of these, so a unit reads the same in a list, its activity, an alert email and the
 * invoice that bills it.
 */

export interface UnitIdentity {
  id: string;
  serial: string | null;
  mac: string | null;
}

/**
 * What tells units apart: the serial, else the MAC, else the start of its id (a unit staged from
 * telemetry that reported neither, identified by IP until someone edits it).
 */
export const unitIdent = (unit: UnitIdentity): string => unit.serial ?? unit.mac ?? unit.id.slice(0, 8);

/** unitIdent of a row that carries the unit's id as `minerId` (billing, default cases). */
export const minerIdent = (row: { minerId: string; serial: string | null; mac: string | null }): string => unitIdent({ id: row.minerId, serial: row.serial, mac: row.mac });

/** On an invoice line and the fixed-fee choice beside it: the model, then the ident ("S19 Pro #SN-1"). */
export const unitLineName = (row: { minerId: string; serial: string | null; mac: string | null; model: string | null }): string => `${row.model ?? 'Unit'} #${minerIdent(row)}`;

/** The ident with the model in brackets: assignment results and their activity entries. */
export const unitLabel = (unit: UnitIdentity & { model: string | null }): string => (unit.model ? `${unitIdent(unit)} (${unit.model})` : unitIdent(unit));

/** Where a unit stands alone (alerts, emails, the portal): model and rack location, then the ident. */
export function unitName(unit: UnitIdentity & { model: string | null; rackLocation: string | null }): string {
  const head = [unit.model, unit.rackLocation].filter((part): part is string => Boolean(part && part.trim())).join(' · ');
  return head ? `${head} (${unitIdent(unit)})` : unitIdent(unit);
}
