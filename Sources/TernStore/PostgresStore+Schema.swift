extension PostgresStore {
    /// The schema's versions: each entry the statements that bring the database from the version before to its own.
    /// Applied in order at open; the version reached is a row of `tern_migrations`. A version never changes once
    /// released; a later one replaces what it must.
    ///
    /// Keys, the ledger and stored responses are ordinary tables. The limiter's state is in `UNLOGGED` tables: it is
    /// written on every request and needs no disk sync (a commit that touched only them does not wait for one); if
    /// PostgreSQL itself crashes they come back empty, which refills every bucket and forgets running requests,
    /// while budgets start again from the ledger, which is logged.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
                admin BOOLEAN NOT NULL DEFAULT false, models TEXT, rpm BIGINT, tpm BIGINT, max_concurrent BIGINT,
                budget_tokens BIGINT, budget_period TEXT, created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT,
                seq BIGSERIAL NOT NULL)
            """,
            """
            CREATE TABLE usage (
                id BIGSERIAL PRIMARY KEY, key_id TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL, status BIGINT NOT NULL,
                prompt_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
                started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL, duration_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX usage_by_key ON usage (key_id, finished_at)",
            """
            CREATE TABLE responses (
                id TEXT PRIMARY KEY, key_id TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, body TEXT NOT NULL,
                conversation TEXT NOT NULL)
            """,
            "CREATE INDEX responses_by_expiry ON responses (expires_at)",
            // Per key: the two per-minute buckets (level and the second it was read, on the replicas' clock) and the
            // budget period's tokens of finished requests.
            """
            CREATE UNLOGGED TABLE rate_limits (
                key_id TEXT PRIMARY KEY, rpm BIGINT, request_level DOUBLE PRECISION, request_at DOUBLE PRECISION,
                tpm BIGINT, token_level DOUBLE PRECISION, token_at DOUBLE PRECISION, budget_start BIGINT, budget_used BIGINT NOT NULL DEFAULT 0)
            """,
            // One row per running request: its concurrency slot and its token reservation. A replica renews the lease
            // of its rows while it runs; the rows of one that died expire.
            """
            CREATE UNLOGGED TABLE running_requests (
                id BIGSERIAL PRIMARY KEY, key_id TEXT NOT NULL, replica TEXT NOT NULL, tokens BIGINT NOT NULL DEFAULT 0,
                budget_start BIGINT, expires_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX running_by_key ON running_requests (key_id)",
            "CREATE INDEX running_by_replica ON running_requests (replica)",
        ],
        // Version 2: the limiter's functions (version 1 had first drafts of them).
        [
            // A bucket of `capacity` per minute read at `now`: what flowed in since `at`, up to the capacity.
            """
            CREATE OR REPLACE FUNCTION tern_refill(level DOUBLE PRECISION, at DOUBLE PRECISION, capacity BIGINT, now DOUBLE PRECISION)
            RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE AS
            $$ SELECT least(capacity::DOUBLE PRECISION, level + greatest(0, now - at) * capacity / 60.0) $$
            """,
            // Admission: a concurrency slot and one request from the per-minute bucket, under the key's row lock.
            """
            CREATE OR REPLACE FUNCTION tern_admit(p_key TEXT, p_rpm BIGINT, p_max_running BIGINT, p_replica TEXT, p_now DOUBLE PRECISION,
                p_expires DOUBLE PRECISION)
            RETURNS TABLE (request_id BIGINT, refusal TEXT, retry_after DOUBLE PRECISION, rpm BIGINT, request_level DOUBLE PRECISION,
                request_at DOUBLE PRECISION, tpm BIGINT, token_level DOUBLE PRECISION, token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                r rate_limits%ROWTYPE;
                running BIGINT;
                level DOUBLE PRECISION;
                new_id BIGINT;
            BEGIN
                INSERT INTO rate_limits (key_id) VALUES (p_key) ON CONFLICT (key_id) DO NOTHING;
                SELECT * INTO r FROM rate_limits WHERE key_id = p_key FOR UPDATE;
                IF r.rpm IS DISTINCT FROM p_rpm THEN
                    -- A new capacity (another replica's defaults, a key's new limit) never refills the bucket.
                    r.request_level := CASE WHEN r.request_level IS NULL OR r.rpm IS NULL OR p_rpm IS NULL THEN p_rpm
                        ELSE least(tern_refill(r.request_level, r.request_at, r.rpm, p_now), p_rpm) END;
                    r.rpm := p_rpm; r.request_at := greatest(coalesce(r.request_at, p_now), p_now);
                END IF;
                IF p_max_running IS NOT NULL THEN
                    DELETE FROM running_requests WHERE key_id = p_key AND expires_at <= p_now;
                    SELECT count(*) INTO running FROM running_requests WHERE key_id = p_key;
                    IF running >= p_max_running THEN
                        UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at WHERE key_id = p_key;
                        RETURN QUERY SELECT NULL::BIGINT, 'concurrency'::TEXT, NULL::DOUBLE PRECISION, r.rpm, r.request_level, r.request_at,
                            r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                END IF;
                IF p_rpm IS NOT NULL THEN
                    level := tern_refill(r.request_level, r.request_at, p_rpm, p_now);
                    r.request_at := greatest(r.request_at, p_now);
                    IF level + 1e-9 < 1 THEN
                        r.request_level := level;
                        UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at WHERE key_id = p_key;
                        RETURN QUERY SELECT NULL::BIGINT, 'requests'::TEXT, (1 - level) / (p_rpm / 60.0), r.rpm, r.request_level,
                            r.request_at, r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                    r.request_level := level - 1;
                END IF;
                UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at WHERE key_id = p_key;
                INSERT INTO running_requests (key_id, replica, expires_at) VALUES (p_key, p_replica, p_expires) RETURNING id INTO new_id;
                RETURN QUERY SELECT new_id, NULL::TEXT, NULL::DOUBLE PRECISION, r.rpm, r.request_level, r.request_at, r.tpm, r.token_level,
                    r.token_at;
            END $$
            """,
            // A running request's tokens: checked against the budget (finished requests of the period plus every
            // live reservation) and taken from the per-minute bucket, or refused, under the key's row lock. A new
            // period starts from the ledger.
            """
            CREATE OR REPLACE FUNCTION tern_reserve(p_key TEXT, p_request BIGINT, p_tokens BIGINT, p_tpm BIGINT, p_budget BIGINT, p_budget_start BIGINT,
                p_now DOUBLE PRECISION)
            RETURNS TABLE (refusal TEXT, retry_after DOUBLE PRECISION, remaining BIGINT, rpm BIGINT, request_level DOUBLE PRECISION,
                request_at DOUBLE PRECISION, tpm BIGINT, token_level DOUBLE PRECISION, token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                r rate_limits%ROWTYPE;
                reserved BIGINT;
                left_over BIGINT;
                level DOUBLE PRECISION;
            BEGIN
                INSERT INTO rate_limits (key_id) VALUES (p_key) ON CONFLICT (key_id) DO NOTHING;
                SELECT * INTO r FROM rate_limits WHERE key_id = p_key FOR UPDATE;
                IF r.tpm IS DISTINCT FROM p_tpm THEN
                    r.token_level := CASE WHEN r.token_level IS NULL OR r.tpm IS NULL OR p_tpm IS NULL THEN p_tpm
                        ELSE least(tern_refill(r.token_level, r.token_at, r.tpm, p_now), p_tpm) END;
                    r.tpm := p_tpm; r.token_at := greatest(coalesce(r.token_at, p_now), p_now);
                END IF;
                IF p_budget IS NOT NULL THEN
                    IF r.budget_start IS DISTINCT FROM p_budget_start THEN
                        r.budget_start := p_budget_start;
                        SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) INTO r.budget_used FROM usage
                            WHERE key_id = p_key AND finished_at >= p_budget_start;
                    END IF;
                    -- Every live reservation, also those made before the period turned: they finish in this one.
                    SELECT COALESCE(SUM(tokens), 0) INTO reserved FROM running_requests
                        WHERE key_id = p_key AND budget_start IS NOT NULL AND expires_at > p_now;
                    left_over := p_budget - r.budget_used - reserved;
                    IF p_tokens > left_over THEN
                        UPDATE rate_limits SET tpm = r.tpm, token_level = r.token_level, token_at = r.token_at, budget_start = r.budget_start,
                            budget_used = r.budget_used WHERE key_id = p_key;
                        RETURN QUERY SELECT 'budget'::TEXT, NULL::DOUBLE PRECISION, greatest(0, left_over), r.rpm, r.request_level,
                            r.request_at, r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                END IF;
                IF p_tpm IS NOT NULL THEN
                    level := tern_refill(r.token_level, r.token_at, p_tpm, p_now);
                    r.token_at := greatest(r.token_at, p_now);
                    IF p_tokens > level + 1e-9 THEN
                        r.token_level := level;
                        UPDATE rate_limits SET tpm = r.tpm, token_level = r.token_level, token_at = r.token_at, budget_start = r.budget_start,
                            budget_used = r.budget_used WHERE key_id = p_key;
                        RETURN QUERY SELECT 'tokens'::TEXT,
                            CASE WHEN p_tokens > p_tpm THEN NULL ELSE (p_tokens - level) / (p_tpm / 60.0) END,
                            NULL::BIGINT, r.rpm, r.request_level, r.request_at, r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                    r.token_level := level - p_tokens;
                END IF;
                UPDATE rate_limits SET tpm = r.tpm, token_level = r.token_level, token_at = r.token_at, budget_start = r.budget_start,
                    budget_used = r.budget_used WHERE key_id = p_key;
                UPDATE running_requests SET tokens = tokens + p_tokens, budget_start = CASE WHEN p_budget IS NULL THEN NULL ELSE p_budget_start END
                    WHERE id = p_request;
                RETURN QUERY SELECT NULL::TEXT, NULL::DOUBLE PRECISION, NULL::BIGINT, r.rpm, r.request_level, r.request_at, r.tpm,
                    r.token_level, r.token_at;
            END $$
            """,
            // The end of a request: its slot freed, its reservation settled with what it used (given back to the
            // per-minute bucket or charged beyond it), its tokens counted in the budget's period.
            """
            CREATE OR REPLACE FUNCTION tern_finish(p_key TEXT, p_request BIGINT, p_reserved BIGINT, p_reserved_start BIGINT, p_used BIGINT,
                p_budget_start BIGINT, p_now DOUBLE PRECISION)
            RETURNS TABLE (rpm BIGINT, request_level DOUBLE PRECISION, request_at DOUBLE PRECISION, tpm BIGINT, token_level DOUBLE PRECISION,
                token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                r rate_limits%ROWTYPE;
            BEGIN
                SELECT * INTO r FROM rate_limits WHERE key_id = p_key FOR UPDATE;
                DELETE FROM running_requests WHERE id = p_request;
                IF NOT FOUND THEN
                    -- Nothing was admitted for this key in this database (its rows were lost with a crash of PostgreSQL).
                    IF r.key_id IS NULL THEN RETURN; END IF;
                END IF;
                IF p_reserved IS NOT NULL AND r.tpm IS NOT NULL THEN
                    r.token_level := tern_refill(r.token_level, r.token_at, r.tpm, p_now);
                    r.token_at := greatest(r.token_at, p_now);
                    IF p_used <= p_reserved THEN
                        r.token_level := least(r.tpm::DOUBLE PRECISION, r.token_level + (p_reserved - p_used));
                    ELSE
                        r.token_level := r.token_level - (p_used - p_reserved);
                    END IF;
                END IF;
                -- Counted in the period it finishes in, as its ledger row is.
                IF p_reserved_start IS NOT NULL AND p_budget_start = r.budget_start THEN
                    r.budget_used := r.budget_used + p_used;
                END IF;
                UPDATE rate_limits SET token_level = r.token_level, token_at = r.token_at, budget_used = r.budget_used WHERE key_id = p_key;
                RETURN QUERY SELECT r.rpm, r.request_level, r.request_at, r.tpm, r.token_level, r.token_at;
            END $$
            """,
        ],
        // Version 3: admission and reservation in one call, for requests whose tokens are known when they arrive.
        [
            // tern_admit, then tern_reserve for the request it admitted, in one transaction. A request whose tokens are
            // refused stays admitted (as with the two calls): its caller finishes it.
            """
            CREATE OR REPLACE FUNCTION tern_admit_reserve(p_key TEXT, p_rpm BIGINT, p_max_running BIGINT, p_replica TEXT,
                p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_tokens BIGINT, p_tpm BIGINT, p_budget BIGINT, p_budget_start BIGINT)
            RETURNS TABLE (request_id BIGINT, refusal TEXT, retry_after DOUBLE PRECISION, remaining BIGINT, rpm BIGINT,
                request_level DOUBLE PRECISION, request_at DOUBLE PRECISION, tpm BIGINT, token_level DOUBLE PRECISION, token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                a RECORD;
                r RECORD;
            BEGIN
                SELECT * INTO a FROM tern_admit(p_key, p_rpm, p_max_running, p_replica, p_now, p_expires);
                IF a.refusal IS NOT NULL THEN
                    RETURN QUERY SELECT NULL::BIGINT, a.refusal, a.retry_after, NULL::BIGINT, a.rpm, a.request_level, a.request_at, a.tpm,
                        a.token_level, a.token_at;
                    RETURN;
                END IF;
                SELECT * INTO r FROM tern_reserve(p_key, a.request_id, p_tokens, p_tpm, p_budget, p_budget_start, p_now);
                RETURN QUERY SELECT a.request_id, r.refusal, r.retry_after, r.remaining, r.rpm, r.request_level, r.request_at, r.tpm,
                    r.token_level, r.token_at;
            END $$
            """
        ],
        // Version 4: tern_admit_reserve as one body, with the same results: the key's row locked once and written
        // once, the request's row inserted with its tokens, and no nested set-returning calls (each materialised its
        // result).
        [
            """
            CREATE OR REPLACE FUNCTION tern_admit_reserve(p_key TEXT, p_rpm BIGINT, p_max_running BIGINT, p_replica TEXT,
                p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_tokens BIGINT, p_tpm BIGINT, p_budget BIGINT, p_budget_start BIGINT)
            RETURNS TABLE (request_id BIGINT, refusal TEXT, retry_after DOUBLE PRECISION, remaining BIGINT, rpm BIGINT,
                request_level DOUBLE PRECISION, request_at DOUBLE PRECISION, tpm BIGINT, token_level DOUBLE PRECISION, token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            DECLARE
                r rate_limits%ROWTYPE;
                running BIGINT;
                level DOUBLE PRECISION;
                reserved BIGINT;
                left_over BIGINT;
                why TEXT;
                retry_in DOUBLE PRECISION;
                left_to_spend BIGINT;
                new_id BIGINT;
            BEGIN
                INSERT INTO rate_limits (key_id) VALUES (p_key) ON CONFLICT (key_id) DO NOTHING;
                SELECT * INTO r FROM rate_limits WHERE key_id = p_key FOR UPDATE;
                -- Admission, as tern_admit.
                IF r.rpm IS DISTINCT FROM p_rpm THEN
                    r.request_level := CASE WHEN r.request_level IS NULL OR r.rpm IS NULL OR p_rpm IS NULL THEN p_rpm
                        ELSE least(tern_refill(r.request_level, r.request_at, r.rpm, p_now), p_rpm) END;
                    r.rpm := p_rpm; r.request_at := greatest(coalesce(r.request_at, p_now), p_now);
                END IF;
                IF p_max_running IS NOT NULL THEN
                    DELETE FROM running_requests WHERE key_id = p_key AND expires_at <= p_now;
                    SELECT count(*) INTO running FROM running_requests WHERE key_id = p_key;
                    IF running >= p_max_running THEN
                        UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at WHERE key_id = p_key;
                        RETURN QUERY SELECT NULL::BIGINT, 'concurrency'::TEXT, NULL::DOUBLE PRECISION, NULL::BIGINT, r.rpm, r.request_level,
                            r.request_at, r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                END IF;
                IF p_rpm IS NOT NULL THEN
                    level := tern_refill(r.request_level, r.request_at, p_rpm, p_now);
                    r.request_at := greatest(r.request_at, p_now);
                    IF level + 1e-9 < 1 THEN
                        r.request_level := level;
                        UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at WHERE key_id = p_key;
                        RETURN QUERY SELECT NULL::BIGINT, 'requests'::TEXT, (1 - level) / (p_rpm / 60.0), NULL::BIGINT, r.rpm, r.request_level,
                            r.request_at, r.tpm, r.token_level, r.token_at;
                        RETURN;
                    END IF;
                    r.request_level := level - 1;
                END IF;
                -- Reservation, as tern_reserve. A refusal leaves the request admitted, without tokens.
                IF r.tpm IS DISTINCT FROM p_tpm THEN
                    r.token_level := CASE WHEN r.token_level IS NULL OR r.tpm IS NULL OR p_tpm IS NULL THEN p_tpm
                        ELSE least(tern_refill(r.token_level, r.token_at, r.tpm, p_now), p_tpm) END;
                    r.tpm := p_tpm; r.token_at := greatest(coalesce(r.token_at, p_now), p_now);
                END IF;
                IF p_budget IS NOT NULL THEN
                    IF r.budget_start IS DISTINCT FROM p_budget_start THEN
                        r.budget_start := p_budget_start;
                        SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) INTO r.budget_used FROM usage
                            WHERE key_id = p_key AND finished_at >= p_budget_start;
                    END IF;
                    SELECT COALESCE(SUM(tokens), 0) INTO reserved FROM running_requests
                        WHERE key_id = p_key AND budget_start IS NOT NULL AND expires_at > p_now;
                    left_over := p_budget - r.budget_used - reserved;
                    IF p_tokens > left_over THEN
                        why := 'budget'; left_to_spend := greatest(0, left_over);
                    END IF;
                END IF;
                IF why IS NULL AND p_tpm IS NOT NULL THEN
                    level := tern_refill(r.token_level, r.token_at, p_tpm, p_now);
                    r.token_at := greatest(r.token_at, p_now);
                    IF p_tokens > level + 1e-9 THEN
                        r.token_level := level;
                        why := 'tokens';
                        retry_in := CASE WHEN p_tokens > p_tpm THEN NULL ELSE (p_tokens - level) / (p_tpm / 60.0) END;
                    ELSE
                        r.token_level := level - p_tokens;
                    END IF;
                END IF;
                UPDATE rate_limits SET rpm = r.rpm, request_level = r.request_level, request_at = r.request_at, tpm = r.tpm,
                    token_level = r.token_level, token_at = r.token_at, budget_start = r.budget_start, budget_used = r.budget_used
                    WHERE key_id = p_key;
                IF why IS NULL THEN
                    INSERT INTO running_requests (key_id, replica, expires_at, tokens, budget_start)
                        VALUES (p_key, p_replica, p_expires, p_tokens, CASE WHEN p_budget IS NULL THEN NULL ELSE p_budget_start END)
                        RETURNING id INTO new_id;
                ELSE
                    INSERT INTO running_requests (key_id, replica, expires_at) VALUES (p_key, p_replica, p_expires) RETURNING id INTO new_id;
                END IF;
                RETURN QUERY SELECT new_id, why, retry_in, left_to_spend, r.rpm, r.request_level, r.request_at, r.tpm, r.token_level, r.token_at;
            END $$
            """
        ],
        // Version 5: the end of a request in one call. The settlement commits first: it touched only the unlogged
        // tables, so its commit waits for no disk sync and the key's row is unlocked at once; the ledger row's commit,
        // which waits for one, then holds no lock of the key. (One transaction for both would keep every request of
        // the key waiting behind each finishing request's disk sync.)
        [
            """
            CREATE PROCEDURE tern_finish_record(p_key TEXT, p_request BIGINT, p_reserved BIGINT, p_reserved_start BIGINT, p_used BIGINT,
                p_budget_start BIGINT, p_now DOUBLE PRECISION, p_model TEXT, p_endpoint TEXT, p_status BIGINT, p_prompt BIGINT,
                p_cached BIGINT, p_completion BIGINT, p_started BIGINT, p_finished BIGINT, INOUT o_rpm BIGINT,
                INOUT o_request_level DOUBLE PRECISION, INOUT o_request_at DOUBLE PRECISION, INOUT o_tpm BIGINT,
                INOUT o_token_level DOUBLE PRECISION, INOUT o_token_at DOUBLE PRECISION)
            LANGUAGE plpgsql AS $$
            BEGIN
                SELECT f.rpm, f.request_level, f.request_at, f.tpm, f.token_level, f.token_at
                    INTO o_rpm, o_request_level, o_request_at, o_tpm, o_token_level, o_token_at
                    FROM tern_finish(p_key, p_request, p_reserved, p_reserved_start, p_used, p_budget_start, p_now) f;
                COMMIT;
                INSERT INTO usage (key_id, model, endpoint, status, prompt_tokens, cached_tokens, completion_tokens, started_at, finished_at,
                    duration_ms)
                    VALUES (p_key, p_model, p_endpoint, p_status, p_prompt, p_cached, p_completion, p_started, p_finished,
                        greatest(0, p_finished - p_started));
            END $$
            """
        ],
    ]
}
