import { describe, expect, it } from 'vitest';
import { minerIdent, unitIdent, unitLabel, unitLineName, unitName } from '../../src/equipment/naming';

const unit = { id: 'abcdef12-3456-7890', serial: 'SN-1', mac: '02:00:00:00:00:01', model: 'Antminer S19j Pro', rackLocation: 'Row A · Rack 1' };

describe('one way to name a unit', () => {
  it('tells units apart by serial, else MAC, else the start of the id, in every length', () => {
    expect(unitIdent(unit)).toBe('SN-1');
    expect(unitIdent({ ...unit, serial: null })).toBe('02:00:00:00:00:01');
    expect(unitIdent({ ...unit, serial: null, mac: null })).toBe('abcdef12');
    const bare = { ...unit, serial: null, mac: null, model: null, rackLocation: null };
    expect([unitIdent(bare), unitLabel(bare), unitName(bare)]).toEqual(['abcdef12', 'abcdef12', 'abcdef12']);
  });

  it('adds the model for assignment results, and model and rack where a unit stands alone', () => {
    expect(unitLabel(unit)).toBe('SN-1 (Antminer S19j Pro)');
    expect(unitName(unit)).toBe('Antminer S19j Pro · Row A · Rack 1 (SN-1)');
    expect(unitName({ ...unit, rackLocation: '  ' })).toBe('Antminer S19j Pro (SN-1)');
  });

  it('names a billing row (keyed by minerId) by the same rule, and an invoice line as model #ident', () => {
    const row = { minerId: unit.id, serial: unit.serial, mac: unit.mac, model: unit.model };
    for (const [serial, mac] of [['SN-1', unit.mac], [null, unit.mac], [null, null]] as const) {
      expect(minerIdent({ ...row, serial, mac })).toBe(unitIdent({ ...unit, serial, mac }));
    }
    expect(unitLineName(row)).toBe('Antminer S19j Pro #SN-1');
    expect(unitLineName({ ...row, serial: null, model: null })).toBe('Unit #02:00:00:00:00:01');
  });
});
