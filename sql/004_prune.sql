-- 004_prune.sql - an index for pruning finished jobs.
--
-- The runner deletes finished jobs older than its retention, oldest
-- first, in batches (runner/store.c, "prune").  This index holds only
-- finished jobs, in the order the prune takes them, so each batch reads
-- just the rows it deletes; jobs that have not finished are not in it
-- and so can never be pruned.
CREATE INDEX IF NOT EXISTS jobs_finished_idx ON jobq.jobs (finished_at)
    WHERE state IN ('completed', 'failed', 'cancelled');
