-- Vector retrieval with pgvector: one embedding per passage, labelled with the model that
-- made it (a passage whose model or text changed is embedded again by `ingest`).
--
-- The vectors are stored as REAL[], which every PostgreSQL has, so this migration runs on a
-- server without pgvector too; there retrieval stays full-text and the service says so
-- (/readyz, the log at start). Where the `vector` extension is available it is enabled
-- (if the migrating role may), and each common embedding size gets a partial HNSW index on
-- the cast vector with cosine distance; other sizes are searched exactly. pgvector
-- installed later: see the runbook ("Vector retrieval").
CREATE TABLE passage_embeddings (
    passage_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    body_sha256 TEXT NOT NULL,
    embedding REAL[] NOT NULL,
    embedded_at TEXT NOT NULL
);
-- No B-tree on (model, dimensions): a deployment has one model, so it would select every
-- row, yet tempt the planner away from the HNSW index on small tables.

DO $$
DECLARE
    ext_schema TEXT;
    size INTEGER;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')
        AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        BEGIN
            CREATE EXTENSION vector;
        EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
            RAISE NOTICE 'pgvector is available but could not be enabled (%): retrieval stays full-text', SQLERRM;
        END;
    END IF;
    SELECT n.nspname INTO ext_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'vector';
    IF ext_schema IS NULL THEN
        RAISE NOTICE 'pgvector is not installed: retrieval stays full-text';
        RETURN;
    END IF;
    FOREACH size IN ARRAY ARRAY[256, 384, 512, 768, 1024, 1536] LOOP
        EXECUTE format(
            'CREATE INDEX passage_embeddings_hnsw_%2$s ON passage_embeddings'
            ' USING hnsw ((embedding::%1$I.vector(%2$s)) %1$I.vector_cosine_ops)'
            ' WHERE dimensions = %2$s',
            ext_schema, size
        );
    END LOOP;
END
$$;
