-- Trust and hardening (issue 11).

-- Weakness 3: staged units per site are capped (null = twice the site's units, at least 5,000);
-- the last refusal is kept for the site's page.
ALTER TABLE `sites` ADD `staged_cap` integer;
ALTER TABLE `sites` ADD `staging_refused_at` integer;
ALTER TABLE `sites` ADD `staging_refused_count` integer;

-- Weakness 2: a registration code is a public 4-symbol selector (which code is being tried) and
-- an 8-symbol secret; wrong secrets are counted on the code, which expires after 5.
ALTER TABLE `agents` ADD `code_selector` text;
ALTER TABLE `agents` ADD `code_failures` integer DEFAULT 0 NOT NULL;
CREATE UNIQUE INDEX `agents_code_selector_unique` ON `agents` (`code_selector`);
