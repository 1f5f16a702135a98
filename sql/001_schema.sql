-- 001_schema.sql - the jobs table, its states, claiming, wake-ups, runners.
--
-- Applied by `jobq-runner --migrate` inside one transaction, under an
-- advisory lock, and recorded in jobq.schema_migrations.

CREATE TYPE jobq.job_state AS ENUM (
	'available',	-- waiting to run; a future run_at means scheduled
	'running',	-- claimed by the runner named in jobs.runner
	'completed',	-- finished; result holds the handler's output
	'failed',	-- attempts exhausted or discarded; errors say why
	'cancelled',	-- stopped by an operator or a client
	'waiting'	-- reserved for jobs that wait on other jobs
);

CREATE TABLE jobq.jobs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	queue		text NOT NULL DEFAULT 'default',
	kind		text NOT NULL,
	args		jsonb NOT NULL DEFAULT '{}',
	priority	smallint NOT NULL DEFAULT 0,
	state		jobq.job_state NOT NULL DEFAULT 'available',
	attempt		integer NOT NULL DEFAULT 0,
	max_attempts	integer NOT NULL DEFAULT 25,
	run_at		timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	finished_at	timestamptz,
	runner		text,
	timeout		integer,
	unique_key	text,
	errors		jsonb NOT NULL DEFAULT '[]',
	result		jsonb,
	CONSTRAINT jobs_queue_format
	    CHECK (queue ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'),
	CONSTRAINT jobs_kind_format
	    CHECK (kind ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$'),
	CONSTRAINT jobs_args_object CHECK (jsonb_typeof(args) = 'object'),
	CONSTRAINT jobs_errors_array CHECK (jsonb_typeof(errors) = 'array'),
	CONSTRAINT jobs_attempts_positive CHECK (max_attempts >= 1),
	CONSTRAINT jobs_attempt_range CHECK (attempt >= 0),
	CONSTRAINT jobs_timeout_positive CHECK (timeout IS NULL OR timeout > 0)
);

COMMENT ON TABLE jobq.jobs IS 'Every job jobq knows of, one row each.';
COMMENT ON COLUMN jobq.jobs.priority IS 'Lower runs first.';
COMMENT ON COLUMN jobq.jobs.attempt IS 'Attempts started so far.';
COMMENT ON COLUMN jobq.jobs.timeout IS
    'Seconds an attempt may run; NULL takes the kind''s timeout.';
COMMENT ON COLUMN jobq.jobs.errors IS
    'One {attempt, at, error} object per failed attempt.';

-- The claim reads this index only, in the order it wants; finished jobs
-- are not in it, so it stays small however many of them pile up.
CREATE INDEX jobs_claim_idx ON jobq.jobs (priority, run_at, id)
    WHERE state = 'available';

-- Rescue and monitoring look up running jobs by runner.
CREATE INDEX jobs_running_idx ON jobq.jobs (runner)
    WHERE state = 'running';

-- Listing and pruning by state.
CREATE INDEX jobs_state_queue_idx ON jobq.jobs (state, queue, id);

-- A unique key deduplicates while its job is not finished.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobq.jobs (queue, unique_key)
    WHERE unique_key IS NOT NULL
      AND state IN ('available', 'running', 'waiting');

-- One row per live runner; a stale heartbeat marks a dead one.
CREATE TABLE jobq.runners (
	id		text PRIMARY KEY,
	host		text NOT NULL,
	pid		integer NOT NULL,
	workers		integer NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	heartbeat_at	timestamptz NOT NULL DEFAULT now()
);

-- Wake the runners listening on channel jobq_wakeup.  Called by the
-- web tier right after an insert commits, in a transaction of its own:
-- a NOTIFY inside the inserting transaction would serialise every
-- enqueue's commit behind one database-wide lock held through the WAL
-- flush.  This transaction writes nothing durable, so it skips the
-- flush wait; a wake-up lost in a crash is covered by polling.
CREATE FUNCTION jobq.wake(p_queue text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.set_config('synchronous_commit', 'off', true);
	PERFORM pg_catalog.pg_notify('jobq_wakeup', p_queue);
END
$$;

-- Enqueue from SQL, inside the caller's own transaction.  The wake-up
-- is sent when that transaction commits.
CREATE FUNCTION jobq.enqueue(
	p_kind text,
	p_args jsonb DEFAULT '{}',
	p_queue text DEFAULT 'default',
	p_priority smallint DEFAULT 0,
	p_run_at timestamptz DEFAULT now(),
	p_max_attempts integer DEFAULT 25
) RETURNS jobq.jobs
LANGUAGE plpgsql AS $$
DECLARE
	j jobq.jobs;
BEGIN
	INSERT INTO jobq.jobs (kind, args, queue, priority, run_at,
	    max_attempts)
	VALUES (p_kind, p_args, p_queue, p_priority, p_run_at, p_max_attempts)
	RETURNING * INTO j;
	IF j.run_at <= now() THEN
		PERFORM pg_catalog.pg_notify('jobq_wakeup', j.queue);
	END IF;
	RETURN j;
END
$$;
