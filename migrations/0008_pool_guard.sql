-- Pool guard (issue 10): a customer's opt-in to "tell me when my miners' pool changes".
-- The guard's alerts use the existing alerts table (kinds pool_mismatch and pool_change); the
-- per-miner state that decides them lives in each site's SiteState object (src/live/pool-guard.ts).
ALTER TABLE `customers` ADD COLUMN `pool_change_notice` integer DEFAULT 0 NOT NULL;
