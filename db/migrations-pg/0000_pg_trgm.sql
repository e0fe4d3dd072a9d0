-- Phone search's trigram indexes on contact_phones (created in the next migration) need pg_trgm.
-- A trusted extension since PostgreSQL 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
