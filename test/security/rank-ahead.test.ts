import { describe, expect, it } from 'vitest';
import { insertSite } from '../helpers/alerts';
import { pageHtml } from '../helpers/fixtures';
import { hostWithTwoCustomers, reportFleet, stampUnits } from '../helpers/fleet';

/**
 * A whole-fleet live sort asks the sites' objects before its first D1 batch, with the sites and
 * units version this isolate last read (src/live/rank-ahead.ts). The early answer must be used
 * only when that batch confirms it: here the objects' registries are settled (every change is
 * minutes old, so nothing makes them re-read on their own) and the early answer is stale, so a
 * page that trusted it would miss a unit.
 */

const MINUTE = 60_000;

/** A host whose units (each customer's, as hostWithTwoCustomers seeds them) last changed ten minutes ago. */
async function settledFleet(name: string) {
  const seededAt = Date.now() - 10 * MINUTE;
  return { ...(await hostWithTwoCustomers(name, { unitsChangedAt: seededAt })), seededAt };
}

describe('a live sort ranked before its D1 batch is used only when that batch confirms it', () => {
  it('units swapped between customers since the objects last read their registries show for their new customers only', async () => {
    const t = await settledFleet('Ahead Swap');
    const [toBob] = t.aliceUnits;
    const [toAlice] = t.bobUnits;
    // First views: each customer's fleet (its sites and units version) is now known to this isolate.
    expect(await pageHtml(`${t.alice.base}/equipment?sort=-hashrate`, t.alice.cookie)).toContain(toBob!.serial);
    expect(await pageHtml(`${t.bob.base}/equipment?sort=-hashrate`, t.bob.cookie)).toContain(toAlice!.serial);

    // Swapped (each fleet keeps its size), stamped minutes ago: no object re-reads its registry
    // unless a page tells it D1 changed since.
    await stampUnits([toBob!.id], t.seededAt + 5 * MINUTE, `customer_id = '${t.bob.customer.id}', `);
    await stampUnits([toAlice!.id], t.seededAt + 5 * MINUTE, `customer_id = '${t.alice.customer.id}', `);
    for (const sort of ['-hashrate', 'hashrate', '-temperature']) {
      const bobPage = await pageHtml(`${t.bob.base}/equipment?sort=${sort}`, t.bob.cookie);
      expect(bobPage, sort).toContain(toBob!.serial);
      expect(bobPage, sort).not.toContain(toAlice!.serial);
      const alicePage = await pageHtml(`${t.alice.base}/equipment?sort=${sort}`, t.alice.cookie);
      expect(alicePage, sort).toContain(toAlice!.serial);
      expect(alicePage, sort).not.toContain(toBob!.serial);
    }
  });

  it('a unit moved to a new site since the last read is ranked by its new site in the staff list', async () => {
    const t = await settledFleet('Ahead New Site');
    const staff = t.host.owner.cookie;
    const moved = t.bobUnits[1]!;
    expect(await pageHtml('/admin/equipment?sort=-hashrate', staff)).not.toContain('500 TH/s');

    // Moved to a second hall that reports it at 500 TH/s, stamped as old as the rest: the host's
    // units version and unit count stay as they were; only its sites tell the answer asked of the
    // first hall alone apart from the right one.
    const hallB = await insertSite(t.host, 'Ahead New Site Hall B');
    await stampUnits([moved.id], t.seededAt, `site_id = '${hallB}', `);
    await reportFleet(t.host, hallB, [moved], () => ({ hashrate_ths: 500 }));

    const page = await pageHtml('/admin/equipment?sort=-hashrate', staff);
    expect(page).toContain('500 TH/s');
    expect(page.indexOf(moved.serial)).toBeLessThan(page.indexOf(t.aliceUnits[0]!.serial));
  });
});
