-- Holding pools (issue 10): up to three holding pools in priority order, so redirected hashrate
-- keeps flowing when the first stratum endpoint is down. The existing holding_pool_url /
-- holding_account stay the first (required) pool; the 2nd and 3rd are optional backups, each
-- with an optional account of its own (blank = the first pool's). The worker rule and password
-- are shared (docs/DEFAULT.md).
ALTER TABLE `default_settings` ADD `holding_pool2_url` text;--> statement-breakpoint
ALTER TABLE `default_settings` ADD `holding_account2` text;--> statement-breakpoint
ALTER TABLE `default_settings` ADD `holding_pool3_url` text;--> statement-breakpoint
ALTER TABLE `default_settings` ADD `holding_account3` text;--> statement-breakpoint
-- A redirect keeps the backups as they were when it started: JSON [{ "url", "user" }], the user
-- being the worker rule with that pool's {account} filled in (as pool_user is for the first).
ALTER TABLE `pool_redirects` ADD `backup_pools` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
-- Each unit's backups with its own worker name rendered: JSON [{ "url", "user" }].
ALTER TABLE `pool_redirect_units` ADD `target_backup_pools` text DEFAULT '[]' NOT NULL;
