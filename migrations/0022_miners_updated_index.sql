-- D1's newest change to a host's units (max(updated_at)) in one index probe: the fleet pages read
-- it on every whole-fleet live sort, and a SiteState re-reads its registry when it is newer than
-- its last read (src/live/site-state.ts, rankedPage), so an assignment change shows at once.
CREATE INDEX `miners_host_updated_idx` ON `miners` (`host_id`,`updated_at`);
