-- Two-factor sign-in (TOTP, issue 11).

-- One enrolment per account (staff: a user across hosts, host_id null; portal: a customer account of
-- one host). A new enrolment gets a new id, so devices remembered for the old one stop counting.
-- enabled_at is null until a first code confirms it; last_used_step refuses a code used twice.
CREATE TABLE `two_factor` (
	`id` text PRIMARY KEY NOT NULL,
	`account_kind` text NOT NULL,
	`account_id` text NOT NULL,
	`host_id` text,
	`secret` text NOT NULL,
	`enabled_at` integer,
	`last_used_step` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE UNIQUE INDEX `two_factor_account_unique` ON `two_factor` (`account_kind`, `account_id`);

-- Ten single-use recovery codes per enrolment, stored as SHA-256 (they are 50 random bits each).
CREATE TABLE `two_factor_recovery_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`two_factor_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`two_factor_id`) REFERENCES `two_factor`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE INDEX `two_factor_recovery_codes_idx` ON `two_factor_recovery_codes` (`two_factor_id`, `code_hash`);

-- The owner's requirements: every staff member of the host, and every portal account of its customers.
ALTER TABLE `hosts` ADD `require_staff_two_factor` integer DEFAULT false NOT NULL;
ALTER TABLE `hosts` ADD `require_portal_two_factor` integer DEFAULT false NOT NULL;
