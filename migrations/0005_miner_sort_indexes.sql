-- Written by drizzle-kit generate, then the two expression indexes corrected by hand: drizzle-kit
-- 0.31 splits an index expression at its commas and quotes each piece as a column
-- (https://github.com/drizzle-team/drizzle-orm/issues/6062). The snapshot beside it is right.
CREATE INDEX `miners_host_serial_sort_idx` ON `miners` (`host_id`, lower(coalesce("serial", "mac", '')), `id`);--> statement-breakpoint
CREATE INDEX `miners_host_model_sort_idx` ON `miners` (`host_id`, lower(coalesce("model", '')), `id`);--> statement-breakpoint
CREATE INDEX `miners_host_created_idx` ON `miners` (`host_id`,`created_at`,`id`);
