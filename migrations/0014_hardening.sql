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

-- Weakness 5: recent sign-ins (when, from where) for staff and portal accounts.
CREATE TABLE `sign_ins` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`account_kind` text NOT NULL,
	`account_id` text NOT NULL,
	`ip` text,
	`country` text,
	`user_agent` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE INDEX `sign_ins_account_idx` ON `sign_ins` (`account_kind`, `account_id`, `created_at`);

-- Weakness 6: a custom domain is activated only once `_hashyard.<hostname>` has a TXT record
-- with this random token (proof the host controls the name, not only that it points at us).
ALTER TABLE `custom_domains` ADD `ownership_token` text;

-- Weakness 8: failed sign-ins per account (staff email, or portal host + email), for a delay that
-- grows with failures instead of a lockout; a known device (signed cookie) is never delayed.
CREATE TABLE `sign_in_failures` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`last_failure_at` integer NOT NULL
);
