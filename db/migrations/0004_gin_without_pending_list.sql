-- The search index takes each insert directly instead of through a pending list that one insert
-- merges every few seconds (a ~100 ms stall of that commit). Altered, not rebuilt: no lock held
-- over a full index build. What the pending list already holds is merged now.
ALTER INDEX "messages_body_search_idx" SET (fastupdate = off);--> statement-breakpoint
SELECT gin_clean_pending_list('messages_body_search_idx'::regclass);
