-- 002_operations.sql - views for daily questions, and the operations
-- psql users and other applications share with the HTTP API.

-- Queues that exist only to be paused; a queue without a row is active.
CREATE TABLE jobq.queues (
	name		text PRIMARY KEY,
	paused		boolean NOT NULL DEFAULT false,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT queues_name_format
	    CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$')
);

-- Per queue: how many jobs in each state, and how long the oldest due
-- job has waited.
CREATE VIEW jobq.queue_stats AS
SELECT j.queue,
       count(*) FILTER (WHERE j.state = 'available'
           AND j.run_at <= now()) AS due,
       count(*) FILTER (WHERE j.state = 'available'
           AND j.run_at > now()) AS scheduled,
       count(*) FILTER (WHERE j.state = 'running') AS running,
       count(*) FILTER (WHERE j.state = 'completed') AS completed,
       count(*) FILTER (WHERE j.state = 'failed') AS failed,
       count(*) FILTER (WHERE j.state = 'cancelled') AS cancelled,
       now() - min(j.run_at) FILTER (WHERE j.state = 'available'
           AND j.run_at <= now()) AS oldest_due_age,
       coalesce(q.paused, false) AS paused
  FROM jobq.jobs j
  LEFT JOIN jobq.queues q ON q.name = j.queue
 GROUP BY j.queue, q.paused;

-- What runs where, and for how long.
CREATE VIEW jobq.running_jobs AS
SELECT j.id, j.queue, j.kind, j.runner, j.attempt, j.max_attempts,
       j.started_at, now() - j.started_at AS running_for,
       r.heartbeat_at AS runner_heartbeat_at
  FROM jobq.jobs j
  LEFT JOIN jobq.runners r ON r.id = j.runner
 WHERE j.state = 'running';

-- Failed attempts, newest first, whatever the job's state now.
CREATE VIEW jobq.recent_failures AS
SELECT j.id, j.queue, j.kind, j.state, (e ->> 'attempt')::int AS attempt,
       (e ->> 'at')::timestamptz AS failed_at, e ->> 'error' AS error
  FROM jobq.jobs j, jsonb_array_elements(j.errors) AS e
 WHERE jsonb_array_length(j.errors) > 0
 ORDER BY failed_at DESC;

-- Runners with the age of their last heartbeat.
CREATE VIEW jobq.runner_status AS
SELECT r.id, r.host, r.pid, r.workers, r.started_at, r.heartbeat_at,
       now() - r.heartbeat_at AS since_heartbeat,
       (SELECT count(*) FROM jobq.jobs j
         WHERE j.state = 'running' AND j.runner = r.id) AS running_jobs
  FROM jobq.runners r;

-- Cancel a job that has not finished.  An available job is cancelled at
-- once; a running one is marked and its runner stops it.  Returns the
-- job, or nothing when it is absent or already finished.
CREATE FUNCTION jobq.cancel(p_id bigint) RETURNS SETOF jobq.jobs
LANGUAGE sql AS $$
	UPDATE jobq.jobs
	   SET state = 'cancelled', finished_at = now()
	 WHERE id = p_id AND state IN ('available', 'waiting')
	RETURNING *;
$$;

-- Put a failed or cancelled job back to work, with its attempts reset.
CREATE FUNCTION jobq.retry(p_id bigint) RETURNS SETOF jobq.jobs
LANGUAGE sql AS $$
	UPDATE jobq.jobs
	   SET state = 'available', run_at = now(), finished_at = NULL,
	       attempt = 0, runner = NULL
	 WHERE id = p_id AND state IN ('failed', 'cancelled')
	RETURNING *;
$$;

CREATE FUNCTION jobq.pause(p_queue text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO jobq.queues (name, paused) VALUES (p_queue, true)
	ON CONFLICT (name) DO UPDATE SET paused = true, updated_at = now();
$$;

CREATE FUNCTION jobq.resume(p_queue text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO jobq.queues (name, paused) VALUES (p_queue, false)
	ON CONFLICT (name) DO UPDATE SET paused = false, updated_at = now();
	SELECT pg_catalog.pg_notify('jobq_wakeup', p_queue);
$$;
