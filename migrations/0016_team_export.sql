-- The host's data export (issue 16): the build's resumable state. Written by hand.

-- JSON: the R2 multipart upload, the parts written, the table and row the build stopped at, and
-- the ZIP entries so far (src/team/export.ts). A build that outgrows one queue invocation saves
-- it and re-queues itself; null once the export is ready, failed or expired.
ALTER TABLE `host_exports` ADD `state` text;--> statement-breakpoint
CREATE INDEX `host_exports_expiry_idx` ON `host_exports` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `hosts_delete_after_idx` ON `hosts` (`delete_after`) WHERE `delete_after` IS NOT NULL;
