-- The host's team (issue 16): staff invitations, one owner with transfer, site-scoped access,
-- the host's data export and closing a host. Written by hand.

-- Exactly one owner per host, enforced by the database itself. Hosts made before this release
-- could have several: the earliest owner keeps the role, the others become admins.
UPDATE `host_users` SET `role` = 'admin'
WHERE `role` = 'owner'
  AND EXISTS (
    SELECT 1 FROM `host_users` AS first
    WHERE first.`host_id` = `host_users`.`host_id` AND first.`role` = 'owner'
      AND (first.`created_at` < `host_users`.`created_at`
        OR (first.`created_at` = `host_users`.`created_at` AND first.`user_id` < `host_users`.`user_id`))
  );--> statement-breakpoint
CREATE UNIQUE INDEX `host_users_one_owner` ON `host_users` (`host_id`) WHERE `role` = 'owner';--> statement-breakpoint

-- Site-scoped access: a JSON array of site ids, or NULL for every site of the host.
ALTER TABLE `host_users` ADD `site_ids` text;--> statement-breakpoint

-- Closing a host: sign-in, portals and agents stop at closed_at; the data goes at delete_after.
ALTER TABLE `hosts` ADD `closed_at` integer;--> statement-breakpoint
ALTER TABLE `hosts` ADD `delete_after` integer;--> statement-breakpoint

CREATE TABLE `staff_invites` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`site_ids` text,
	`token_hash` text NOT NULL,
	`invited_by_id` text NOT NULL,
	`invited_by_label` text NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`accepted_by` text,
	`revoked_at` integer,
	`last_sent_at` integer NOT NULL,
	`send_count` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_invites_token_unique` ON `staff_invites` (`token_hash`);--> statement-breakpoint
CREATE INDEX `staff_invites_host_idx` ON `staff_invites` (`host_id`,`created_at`);--> statement-breakpoint

CREATE TABLE `ownership_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`from_user_id` text NOT NULL,
	`to_user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`cancelled_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ownership_transfers_token_unique` ON `ownership_transfers` (`token_hash`);--> statement-breakpoint
CREATE INDEX `ownership_transfers_host_idx` ON `ownership_transfers` (`host_id`);--> statement-breakpoint

CREATE TABLE `host_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`requested_by_id` text NOT NULL,
	`requested_by_email` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`object_key` text,
	`size_bytes` integer,
	`row_count` integer,
	`error` text,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `host_exports_host_idx` ON `host_exports` (`host_id`,`created_at`);
