DROP INDEX "conversations_site_status_idx";--> statement-breakpoint
CREATE INDEX "conversations_visitor_idx" ON "conversations" USING btree ("visitor_id","created_at");--> statement-breakpoint
CREATE INDEX "conversations_site_status_idx" ON "conversations" USING btree ("site_id","status");--> statement-breakpoint
-- Room on each page for a row's next version, so the per-message update stays on its page (HOT). Applies to pages written from now on.
ALTER TABLE "conversations" SET (fillfactor = 70);
