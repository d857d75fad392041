// The PDU families the agent reads, and where each keeps outlet power, outlet energy and phase
// (inlet) power. Every OID is from the vendor's public MIB, cited per family; values are read
// with SNMP GET (no walk), so a PDU with hundreds of outlets costs only the mapped ones.
//
// An outlet is named the way the PDU's own table indexes it, as text: "12" for APC, Raritan and
// Eaton (the outlet number), "1.1.12" for Server Technology (tower.cord.outlet; a bare "12"
// means tower 1, cord 1). Eaton's daisy chain position (strap) is 0 for the first unit.

/**
 * @typedef {'apc' | 'raritan' | 'servertech' | 'eaton'} PduFamily
 * @typedef {{
 *   label: string,
 *   mib: string,
 *   outletIndex: (outlet: string) => string | null,
 *   outletPowerOid: (index: string) => string,
 *   outletEnergyOid: (index: string) => string,
 *   phasePowerOid: (phase: number) => string,
 *   wattsPerUnit: number,
 *   phaseWattsPerUnit: number,
 *   whPerUnit: number,
 * }} FamilySpec
 */

const simple = (/** @type {string} */ outlet) => (/^\d{1,4}$/.test(outlet) && Number(outlet) > 0 ? String(Number(outlet)) : null);

/** @type {Record<PduFamily, FamilySpec>} */
export const FAMILIES = {
  // APC/Schneider Rack PDU 2G, PowerNet-MIB (https://www.se.com/ww/en/download/document/APC_POWERNETMIB_EN/):
  //   rPDU2OutletMeteredStatusPower  .1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.<n>   watts
  //   rPDU2OutletMeteredStatusEnergy .1.3.6.1.4.1.318.1.1.26.9.4.3.1.11.<n>  tenths of kWh (100 Wh)
  //   rPDU2PhaseStatusPower          .1.3.6.1.4.1.318.1.1.26.6.3.1.7.<p>     hundredths of kW (10 W)
  apc: {
    label: 'APC / Schneider (PowerNet-MIB)',
    mib: 'PowerNet-MIB',
    outletIndex: simple,
    outletPowerOid: (i) => `1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.${i}`,
    outletEnergyOid: (i) => `1.3.6.1.4.1.318.1.1.26.9.4.3.1.11.${i}`,
    phasePowerOid: (p) => `1.3.6.1.4.1.318.1.1.26.6.3.1.7.${p}`,
    wattsPerUnit: 1,
    phaseWattsPerUnit: 10,
    whPerUnit: 100,
  },
  // Raritan PX2/PX3, PDU2-MIB (https://www.raritan.com/support/product/px3 → MIB download):
  //   measurementsOutletSensorValue .1.3.6.1.4.1.13742.6.5.4.3.1.4.<pdu>.<outlet>.<sensorType>
  //   measurementsInletSensorValue  .1.3.6.1.4.1.13742.6.5.2.3.1.4.<pdu>.<inlet>.<sensorType>
  //   sensorType activePower(5) in W, activeEnergy(8) in Wh; pdu id 1 (not daisy-chained).
  //   Both have 0 decimal digits on PX2/PX3 (outletSensorDecimalDigits), so no scaling.
  raritan: {
    label: 'Raritan (PDU2-MIB)',
    mib: 'PDU2-MIB',
    outletIndex: simple,
    outletPowerOid: (i) => `1.3.6.1.4.1.13742.6.5.4.3.1.4.1.${i}.5`,
    outletEnergyOid: (i) => `1.3.6.1.4.1.13742.6.5.4.3.1.4.1.${i}.8`,
    phasePowerOid: (p) => `1.3.6.1.4.1.13742.6.5.2.3.1.4.1.${p}.5`,
    wattsPerUnit: 1,
    phaseWattsPerUnit: 1,
    whPerUnit: 1,
  },
  // Server Technology / Vertiv Sentry (PRO/Switched 4), Sentry4-MIB
  // (https://www.servertech.com/support/sentry-mib-oid-tree-downloads):
  //   st4OutletActivePower .1.3.6.1.4.1.1718.4.1.8.3.1.7.<tower>.<cord>.<outlet>  watts
  //   st4OutletEnergy      .1.3.6.1.4.1.1718.4.1.8.3.1.14.<tower>.<cord>.<outlet> watt-hours
  //   st4PhaseActivePower  .1.3.6.1.4.1.1718.4.1.5.3.1.8.<tower>.<input>.<phase>  watts (tower 1, input 1)
  servertech: {
    label: 'Server Technology / Vertiv (Sentry4-MIB)',
    mib: 'Sentry4-MIB',
    outletIndex: (outlet) => {
      if (/^\d{1,3}\.\d{1,3}\.\d{1,4}$/.test(outlet)) return outlet.split('.').map(Number).join('.');
      const n = simple(outlet);
      return n ? `1.1.${n}` : null;
    },
    outletPowerOid: (i) => `1.3.6.1.4.1.1718.4.1.8.3.1.7.${i}`,
    outletEnergyOid: (i) => `1.3.6.1.4.1.1718.4.1.8.3.1.14.${i}`,
    phasePowerOid: (p) => `1.3.6.1.4.1.1718.4.1.5.3.1.8.1.1.${p}`,
    wattsPerUnit: 1,
    phaseWattsPerUnit: 1,
    whPerUnit: 1,
  },
  // Eaton ePDU G3 (Marlin), EATON-EPDU-MIB (https://www.eaton.com/ → ePDU MIB download):
  //   outletWatts .1.3.6.1.4.1.534.6.6.7.6.5.1.3.<strap>.<outlet>  watts
  //   outletWh    .1.3.6.1.4.1.534.6.6.7.6.5.1.4.<strap>.<outlet>  watt-hours
  //   inputWatts  .1.3.6.1.4.1.534.6.6.7.3.4.1.4.<strap>.<input>.<phase>  watts (strap 0, input 1)
  eaton: {
    label: 'Eaton (EATON-EPDU-MIB)',
    mib: 'EATON-EPDU-MIB',
    outletIndex: (outlet) => {
      if (/^\d{1,2}\.\d{1,4}$/.test(outlet)) return outlet.split('.').map(Number).join('.');
      const n = simple(outlet);
      return n ? `0.${n}` : null;
    },
    outletPowerOid: (i) => `1.3.6.1.4.1.534.6.6.7.6.5.1.3.${i}`,
    outletEnergyOid: (i) => `1.3.6.1.4.1.534.6.6.7.6.5.1.4.${i}`,
    phasePowerOid: (p) => `1.3.6.1.4.1.534.6.6.7.3.4.1.4.0.1.${p}`,
    wattsPerUnit: 1,
    phaseWattsPerUnit: 1,
    whPerUnit: 1,
  },
};

export const PDU_FAMILIES = /** @type {PduFamily[]} */ (Object.keys(FAMILIES));

/** @param {unknown} f @returns {f is PduFamily} */
export const isPduFamily = (f) => typeof f === 'string' && Object.hasOwn(FAMILIES, f);
