-- Trust and hardening (issue 11).

-- Weakness 3: staged units per site are capped (null = twice the site's units, at least 5,000);
-- the last refusal is kept for the site's page.
ALTER TABLE `sites` ADD `staged_cap` integer;
ALTER TABLE `sites` ADD `staging_refused_at` integer;
ALTER TABLE `sites` ADD `staging_refused_count` integer;
