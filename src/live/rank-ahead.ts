/**
 * A whole-fleet live sort asked of the sites' objects *before* the page's first D1 batch, so the
 * page's rows travel in that batch (the session check's): one D1 round trip instead of two, on
 * the staff Equipment list and the portal's Equipment page sorted by a live value.
 *
 * The objects need the scope's sites (and their shard counts) beforehand: what the last read of
 * the same scope in this isolate found in D1 (`knownFleet`). The batch reads them again, and the
 * early answer is used only when it holds against that read (`rankedAheadHolds`): the same sites,
 * every shard answered, and no change to the host's units newer than the registries the objects
 * answered from. Otherwise the page reads the usual way (D1, then the objects, then the rows).
 * The page's rows come from D1 within the request's own scope either way, and the objects are
 * asked only once the session token's signature holds, so a wrong guess costs time, never rows.
 */
import { setBounded } from '../lib/bounded-map';
import type { RankedRead, RankedSite } from './client';

/**
 * What a scope's last whole-fleet read found in D1 (`rankedAheadHolds` remembers it): its sites,
 * also as that read spelled them (compared as they are), and D1's units version.
 */
export interface KnownFleet {
  sitesKey: string;
  sites: RankedSite[];
  unitsVersion: number;
}

/** An early answer (`readRankedPage` over the known sites, with their units version) and what it was asked with. */
export interface RankedAhead {
  known: KnownFleet;
  read: RankedRead;
}

/** Scopes remembered per isolate: enough for every host a busy isolate serves; the oldest goes first. */
const MAX_REMEMBERED = 1_000;
const remembered = new Map<string, KnownFleet>();

/**
 * The scope's fleet as this isolate last read it (`scope`: the door and its ids, such as
 * `staff:<host>`), for its next live sort to ask the objects with; undefined for one not read yet.
 */
export const knownFleet = (scope: string): KnownFleet | undefined => remembered.get(scope);

/**
 * With the batch's own read of the scope: remembers it (`knownFleet`), and says whether the early
 * answer is the one the objects would give now: the same sites, and no change to the host's units
 * newer than the registries that answered (a shard that failed to answer reads as -1: never).
 */
export function rankedAheadHolds(scope: string, ahead: RankedAhead | null | undefined, fleet: KnownFleet): ahead is RankedAhead {
  setBounded(remembered, scope, fleet, MAX_REMEMBERED);
  return !!ahead && ahead.known.sitesKey === fleet.sitesKey && fleet.unitsVersion <= ahead.read.unitsAsOf;
}
