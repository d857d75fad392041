import { env, SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, pduOutlets, pdus } from '../../src/db/schema';
import { decryptSecret, encryptSecret, pduCredentialKey } from '../../src/pdu/crypto';
import { createHost, db, getPage, ORIGIN, postForm, type TestHost } from '../helpers/fixtures';
import { makeMiner, makeSite, postMultipart, registeredAgent } from '../helpers/equipment';

const V2C = { name: 'Row 3 PDU A', address: '10.20.0.5', port: '161', family: 'apc', snmp_version: '2c', community: 'c0mmunity-s3cret' };
const V3 = {
  name: 'Row 4 PDU',
  address: '10.20.0.6',
  family: 'raritan',
  snmp_version: '3',
  v3_user: 'hashyard',
  v3_level: 'authPriv',
  v3_auth_protocol: 'sha256',
  v3_auth_key: 'auth-passphrase-1',
  v3_priv_protocol: 'aes',
  v3_priv_key: 'priv-passphrase-1',
};

async function fixture() {
  const host = await createHost();
  const site = await makeSite(host, { name: 'PDU site' });
  const a = await makeMiner(host, { site_id: site.id, rack_location: 'R3-U10', ip: '10.20.1.10' });
  const b = await makeMiner(host, { site_id: site.id, rack_location: 'R3-U12' });
  return { host, site, a, b };
}

async function addPdu(host: TestHost, siteId: string, fields: Record<string, string> = V2C) {
  const res = await postForm(`/admin/sites/${siteId}/pdus`, fields, { cookie: host.owner.cookie });
  expect(res.status).toBe(303);
  return res.headers.get('Location')!.match(/pdus\/([0-9a-f-]{36})/)![1]!;
}

const pduRows = (host: TestHost) => db().select().from(pdus).where(eq(pdus.hostId, host.hostId)).all();
const mappingOf = (pduId: string) => db().select().from(pduOutlets).where(eq(pduOutlets.pduId, pduId)).all();

async function agentConfig(token: string) {
  const res = await SELF.fetch(`${ORIGIN}/api/agent/v1/config`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { pdus: { id: string; address: string; port: number; family: string; snmp: Record<string, string>; outlets: Record<string, string>[] }[] };
}

describe('Site → PDUs', () => {
  it('adds a v2c PDU: the community is stored encrypted, never shown, never logged; the site page links to it', async () => {
    const { host, site } = await fixture();
    const sitePage = await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text();
    expect(sitePage).toContain(`href="/admin/sites/${site.id}/pdus"`);
    const empty = await (await getPage(`/admin/sites/${site.id}/pdus`, { cookie: host.owner.cookie })).text();
    expect(empty).toContain('No PDUs yet');
    const id = await addPdu(host, site.id);
    const [row] = await pduRows(host);
    expect(row).toMatchObject({ id, siteId: site.id, name: 'Row 3 PDU A', address: '10.20.0.5', port: 161, family: 'apc', snmpVersion: '2c' });
    expect(row!.credentials).toMatch(/^v1\./);
    expect(row!.credentials).not.toContain('c0mmunity');
    expect(await decryptSecret(await pduCredentialKey(env), `${host.hostId}:${id}`, row!.credentials)).toEqual({ version: '2c', community: 'c0mmunity-s3cret' });
    const page = await (await getPage(`/admin/sites/${site.id}/pdus/${id}`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('Row 3 PDU A');
    expect(page).not.toContain('c0mmunity-s3cret');
    const activity = await db().select().from(activityLog).where(eq(activityLog.hostId, host.hostId)).all();
    expect(activity.map((a) => a.action)).toContain('pdu.added');
    expect(JSON.stringify(activity)).not.toContain('c0mmunity');
  });

  it('refuses bad input with field errors and writes nothing', async () => {
    const { host, site } = await fixture();
    const cases: [Record<string, string>, string][] = [
      [{ ...V2C, address: 'pdu.local' }, 'IPv4 address'],
      [{ ...V2C, port: '70000' }, 'port from 1 to 65535'],
      [{ ...V2C, family: 'cyberpower' }, 'family'],
      [{ ...V2C, community: '' }, 'Enter the SNMP community'],
      [{ ...V2C, name: '' }, 'Name'],
      [{ ...V3, v3_auth_key: 'short' }, 'at least 8 characters'],
      [{ ...V3, v3_priv_key: '' }, 'Enter the privacy passphrase'],
      [{ ...V3, v3_user: '' }, 'Enter the SNMP v3 user name'],
    ];
    for (const [fields, message] of cases) {
      const res = await postForm(`/admin/sites/${site.id}/pdus`, fields, { cookie: host.owner.cookie });
      expect(res.status, message).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      // Secrets never come back in the re-rendered form.
      expect(html).not.toContain('c0mmunity-s3cret');
      expect(html).not.toContain('passphrase-1');
    }
    expect(await pduRows(host)).toEqual([]);
    await addPdu(host, site.id);
    const duplicate = await postForm(`/admin/sites/${site.id}/pdus`, { ...V2C, name: 'Again' }, { cookie: host.owner.cookie });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.text()).toContain('already has a PDU at that address');
    expect(await pduRows(host)).toHaveLength(1);
  });

  it('edits a PDU: blank secrets keep the stored ones, v3 needs its passphrases once', async () => {
    const { host, site } = await fixture();
    const id = await addPdu(host, site.id, V3);
    const key = await pduCredentialKey(env);
    const stored = async () => decryptSecret(key, `${host.hostId}:${id}`, (await pduRows(host))[0]!.credentials);
    const res = await postForm(`/admin/sites/${site.id}/pdus/${id}`, { ...V3, name: 'Renamed', v3_auth_key: '', v3_priv_key: '' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect((await pduRows(host))[0]!.name).toBe('Renamed');
    expect(await stored()).toMatchObject({ version: '3', user: 'hashyard', auth_key: 'auth-passphrase-1', priv_key: 'priv-passphrase-1', auth_protocol: 'sha256' });
    // Switching to v2c needs a community: the v3 passphrases are no community.
    const toV2 = await postForm(`/admin/sites/${site.id}/pdus/${id}`, { ...V2C, community: '' }, { cookie: host.owner.cookie });
    expect(toV2.status).toBe(422);
    expect((await stored() as { version: string }).version).toBe('3');
  });

  it('maps outlets by serial, MAC, IP or rack location; refuses units of other sites and ambiguous references', async () => {
    const { host, site, a, b } = await fixture();
    const elsewhere = await makeMiner(host, { site_id: (await makeSite(host)).id, rack_location: 'R9-U1' });
    await makeMiner(host, { site_id: site.id, rack_location: 'SHARED' });
    await makeMiner(host, { site_id: site.id, rack_location: 'shared' });
    const id = await addPdu(host, site.id);
    const map = (outlet: string, unit: string) => postForm(`/admin/sites/${site.id}/pdus/${id}/outlets`, { outlet, unit }, { cookie: host.owner.cookie });
    expect((await map('1', a.serial!)).status).toBe(303);
    expect((await map('02', 'r3-u12')).status).toBe(303);
    expect((await mappingOf(id)).map((m) => [m.outlet, m.minerId]).sort()).toEqual([
      ['1', a.id],
      ['2', b.id],
    ]);
    for (const [outlet, unit, message] of [
      ['x', a.serial!, 'outlet number'],
      ['3', elsewhere.serial!, 'No unit at this site'],
      ['3', 'SHARED', '2 units at this site match'],
      ['3', '', 'Enter the unit'],
    ] as const) {
      const res = await map(outlet, unit);
      expect(res.status).toBe(422);
      expect(await res.text()).toContain(message);
    }
    // A unit moves: a on outlet 5 leaves outlet 1.
    expect((await map('5', a.mac!)).status).toBe(303);
    expect((await mappingOf(id)).map((m) => m.outlet).sort()).toEqual(['2', '5']);
    const unmap = await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets/5/remove`, {}, { cookie: host.owner.cookie });
    expect(unmap.status).toBe(303);
    expect((await mappingOf(id)).map((m) => m.outlet)).toEqual(['2']);
  });

  it('imports a CSV all or nothing, and exports it in the same format', async () => {
    const { host, site, a, b } = await fixture();
    const id = await addPdu(host, site.id);
    const upload = (csv: string) => {
      const form = new FormData();
      form.set('file', new File([csv], 'outlets.csv', { type: 'text/csv' }));
      return postMultipart(`/admin/sites/${site.id}/pdus/${id}/outlets/import`, form, host.owner.cookie);
    };
    const bad = await upload(`outlet,unit\n1,${a.serial}\n2,NOPE-404\n2,${b.serial}\n`);
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Row 3: no unit at this site matches “NOPE-404”');
    expect(html).toContain('Row 4: outlet 2 is listed twice');
    expect(await mappingOf(id)).toEqual([]);
    const missingHeader = await upload(`1,${a.serial}\n`);
    expect(missingHeader.status).toBe(422);
    expect(await missingHeader.text()).toContain('must name the columns outlet and unit');
    const good = await upload(`unit,outlet\n${a.serial},7\nR3-U12,8\n`);
    expect(good.status).toBe(303);
    expect(good.headers.get('Location')).toContain('imported=2');
    expect((await mappingOf(id)).map((m) => [m.outlet, m.minerId]).sort()).toEqual([
      ['7', a.id],
      ['8', b.id],
    ]);
    const pasted = await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets/import`, { csv: `outlet,unit\n9,${a.serial}\n` }, { cookie: host.owner.cookie });
    expect(pasted.status).toBe(303);
    expect((await mappingOf(id)).map((m) => m.outlet).sort()).toEqual(['8', '9']);
    const csv = await (await getPage(`/admin/sites/${site.id}/pdus/${id}/outlets.csv`, { cookie: host.owner.cookie })).text();
    expect(csv).toBe(`outlet,unit\r\n8,${b.serial}\r\n9,${a.serial}\r\n`);
  });

  it('the agent config serves the site’s PDUs with their credentials and mapped units, and nothing of other sites', async () => {
    const { host, site, a, b } = await fixture();
    const other = await makeSite(host);
    const otherUnit = await makeMiner(host, { site_id: other.id });
    const id = await addPdu(host, site.id, V3);
    const unmappedPdu = await addPdu(host, site.id, { ...V2C, address: '10.20.0.9' });
    const otherPdu = await addPdu(host, other.id, { ...V2C, address: '10.30.0.5' });
    await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets`, { outlet: '3', unit: a.serial! }, { cookie: host.owner.cookie });
    await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets`, { outlet: '4', unit: b.serial! }, { cookie: host.owner.cookie });
    await postForm(`/admin/sites/${other.id}/pdus/${otherPdu}/outlets`, { outlet: '1', unit: otherUnit.serial! }, { cookie: host.owner.cookie });
    const { token } = await registeredAgent(host, site.id);
    const config = await agentConfig(token);
    expect(config.pdus.map((p) => p.id)).toEqual([id]);
    expect(config.pdus.some((p) => p.id === unmappedPdu)).toBe(false);
    expect(config.pdus[0]).toEqual({
      id,
      address: '10.20.0.6',
      port: 161,
      family: 'raritan',
      snmp: { version: '3', user: 'hashyard', level: 'authPriv', auth_protocol: 'sha256', auth_key: 'auth-passphrase-1', priv_protocol: 'aes', priv_key: 'priv-passphrase-1' },
      outlets: expect.arrayContaining([
        { outlet: '3', mac: a.mac, serial: a.serial },
        { outlet: '4', mac: b.mac, serial: b.serial },
      ]),
    });
  });

  it('shows live power per outlet from the units’ last samples', async () => {
    const { host, site, a } = await fixture();
    const id = await addPdu(host, site.id);
    await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets`, { outlet: '3', unit: a.serial! }, { cookie: host.owner.cookie });
    const { token } = await registeredAgent(host, site.id);
    const now = new Date().toISOString();
    const batch = {
      batch_id: crypto.randomUUID(),
      sent_at: now,
      miners: [{ mac: a.mac, sampled_at: now, state: 'mining', power_w: 3251, power_source: 'pdu', pdu: { pdu_id: id, outlet: '3', sampled_at: now, power_w: 3251, energy_wh: 123_456 } }],
    };
    const posted = await SELF.fetch(`${ORIGIN}/api/agent/v1/telemetry`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(batch) });
    expect(posted.status).toBeLessThan(300);
    const live = await (await getPage(`/admin/sites/${site.id}/pdus/${id}/live`, { cookie: host.owner.cookie, htmx: true })).text();
    expect(live).toContain('3,251 W');
    expect(live).toContain('PDU outlet');
  });

  it('removes a PDU with its mapping', async () => {
    const { host, site, a } = await fixture();
    const id = await addPdu(host, site.id);
    await postForm(`/admin/sites/${site.id}/pdus/${id}/outlets`, { outlet: '3', unit: a.serial! }, { cookie: host.owner.cookie });
    const res = await postForm(`/admin/sites/${site.id}/pdus/${id}/delete`, {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(await pduRows(host)).toEqual([]);
    expect(await mappingOf(id)).toEqual([]);
  });
});

describe('PDU credentials at rest', () => {
  it('a ciphertext only decrypts for its own host and PDU, and never with another key', async () => {
    const key = await pduCredentialKey(env);
    const sealed = await encryptSecret(key, 'host-a:pdu-1', { version: '2c', community: 'x' });
    expect(await decryptSecret(key, 'host-a:pdu-1', sealed)).toEqual({ version: '2c', community: 'x' });
    await expect(decryptSecret(key, 'host-b:pdu-1', sealed)).rejects.toThrow('do not decrypt');
    const otherKey = await pduCredentialKey({ PDU_SECRET_KEY: 'another-key-of-at-least-32-characters!!' });
    await expect(decryptSecret(otherKey, 'host-a:pdu-1', sealed)).rejects.toThrow('do not decrypt');
    // Each write has its own IV: the same secret never gives the same ciphertext.
    expect(await encryptSecret(key, 'host-a:pdu-1', { version: '2c', community: 'x' })).not.toBe(sealed);
  });

  it('refuses a missing or short key, and the development key in production', async () => {
    await expect(pduCredentialKey({})).rejects.toThrow('PDU_SECRET_KEY is not set');
    await expect(pduCredentialKey({ PDU_SECRET_KEY: 'short' })).rejects.toThrow('PDU_SECRET_KEY is not set');
    await expect(pduCredentialKey({ PDU_SECRET_KEY: env.PDU_SECRET_KEY, ENVIRONMENT: 'production' })).rejects.toThrow('development value');
  });
});
