-- 003_roles_api.sql - cancelling running jobs, and least-privilege roles
-- for the web tier, the runners and monitoring.

-- Set when a client asks to cancel a running job.  The runner holding
-- the job stops it and records it as cancelled (docs/internals.md,
-- "Cancelling running jobs").
ALTER TABLE jobq.jobs ADD COLUMN cancel_requested_at timestamptz;
COMMENT ON COLUMN jobq.jobs.cancel_requested_at IS
    'When cancelling was asked for while the job was running.';

-- Cancel a job that has not finished.  An available or waiting job is
-- cancelled at once.  A running job is only marked (the first request's
-- time is kept) and its runner is told on channel jobq_cancel, payload
-- the job id; the job is returned still running.  Nothing is returned
-- when the job is absent or has finished.  SECURITY DEFINER: the web
-- role may not UPDATE jobs itself.
CREATE OR REPLACE FUNCTION jobq.cancel(p_id bigint) RETURNS SETOF jobq.jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	UPDATE jobq.jobs
	   SET state = 'cancelled', finished_at = now()
	 WHERE id = p_id AND state IN ('available', 'waiting')
	RETURNING *;
	IF FOUND THEN
		RETURN;
	END IF;
	RETURN QUERY
	UPDATE jobq.jobs
	   SET cancel_requested_at = coalesce(cancel_requested_at, now())
	 WHERE id = p_id AND state = 'running'
	RETURNING *;
	IF FOUND THEN
		PERFORM pg_catalog.pg_notify('jobq_cancel', p_id::text);
	END IF;
END
$$;

-- Put a failed or cancelled job back to work, with its attempts reset
-- and any cancel request forgotten.  Errors of earlier attempts stay.
CREATE OR REPLACE FUNCTION jobq.retry(p_id bigint) RETURNS SETOF jobq.jobs
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE jobq.jobs
	   SET state = 'available', run_at = now(), finished_at = NULL,
	       attempt = 0, runner = NULL, cancel_requested_at = NULL
	 WHERE id = p_id AND state IN ('failed', 'cancelled')
	RETURNING *;
$$;

-- The roles are cluster-wide, so they may exist already (made by hand,
-- or by this migration in another database): create only what is
-- missing.  They cannot log in; grant them to login roles.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['jobq_web', 'jobq_runner', 'jobq_monitor']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
		    WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

-- Functions are executable by everyone unless revoked: only the roles
-- below may call them (cancel and retry run with the owner's rights).
REVOKE EXECUTE ON FUNCTION jobq.cancel(bigint), jobq.retry(bigint),
    jobq.wake(text), jobq.pause(text), jobq.resume(text),
    jobq.enqueue(text, jsonb, text, smallint, timestamptz, integer)
    FROM PUBLIC;

GRANT USAGE ON SCHEMA jobq TO jobq_web, jobq_runner, jobq_monitor;

-- jobq_web (jobq.fcgi): enqueue and read; cancel and retry only through
-- the functions.  No UPDATE, DELETE or TRUNCATE, no CREATE on the schema.
-- INSERT covers only the columns a client may set, so a new job always
-- starts available, with no result, errors or runner of its own making.
-- The sequence is read for the jobq_enqueued_total metric.
GRANT SELECT ON jobq.jobs TO jobq_web;
GRANT INSERT (queue, kind, args, priority, run_at, max_attempts, timeout,
    unique_key) ON jobq.jobs TO jobq_web;
GRANT SELECT ON jobq.queues TO jobq_web;
GRANT USAGE, SELECT ON SEQUENCE jobq.jobs_id_seq TO jobq_web;
GRANT EXECUTE ON FUNCTION jobq.wake(text), jobq.cancel(bigint),
    jobq.retry(bigint),
    jobq.enqueue(text, jsonb, text, smallint, timestamptz, integer)
    TO jobq_web;
GRANT SELECT ON jobq.queue_stats, jobq.running_jobs, jobq.recent_failures,
    jobq.runner_status TO jobq_web;

-- jobq_runner: claim, finish, rescue, enqueue cron jobs, prune finished
-- jobs, keep its heartbeat.  Migrations are run by the schema's owner.
GRANT SELECT, INSERT, UPDATE, DELETE ON jobq.jobs TO jobq_runner;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobq.runners TO jobq_runner;
GRANT SELECT ON jobq.queues, jobq.schema_migrations TO jobq_runner;
GRANT USAGE, SELECT ON SEQUENCE jobq.jobs_id_seq TO jobq_runner;
GRANT EXECUTE ON FUNCTION jobq.cancel(bigint), jobq.retry(bigint),
    jobq.wake(text),
    jobq.enqueue(text, jsonb, text, smallint, timestamptz, integer)
    TO jobq_runner;

-- jobq_monitor: the views and nothing else.
GRANT SELECT ON jobq.queue_stats, jobq.running_jobs, jobq.recent_failures,
    jobq.runner_status TO jobq_monitor;
