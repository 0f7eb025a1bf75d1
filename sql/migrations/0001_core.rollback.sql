-- pggit-sql level 1 rollback: back to level 0, no pggit object at all.
--
-- Drops the schema with everything in it (tables, sequence, functions, the
-- schema's grants). Level 1 creates nothing outside schema pggit: no roles, no
-- extensions, no event triggers, no objects in other schemas.

DROP SCHEMA pggit CASCADE;
