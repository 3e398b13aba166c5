-- The published relationship snapshot (relationships.duckdb). Immutable once renamed into place:
-- every load builds a fresh file with this DDL, so there are no migrations here.
-- Run by hand: duckdb my.duckdb < etl/relationships/schema.sql

CREATE TABLE actors (
  numeric_id       INTEGER PRIMARY KEY,
  letter_code      VARCHAR,   -- the matrix code (data row's code, else header code, else the list's)
  actor_name       VARCHAR,   -- from the actor list
  list_letter_code VARCHAR,   -- the code as written in the actor list
  in_matrix        BOOLEAN NOT NULL,
  in_list          BOOLEAN NOT NULL,
  matrix_position  INTEGER,   -- 0-based order in the matrix header; NULL if not in the header
  degree           INTEGER NOT NULL,  -- distinct actors related in either direction
  unknown_cells    INTEGER    -- blank cells in its matrix row (diagonal excluded); NULL if not in matrix
);

-- One row per unordered pair marked 1 in either direction. a_to_b: the cell at row person_a,
-- column person_b. TRUE = 1, FALSE = 0, NULL = blank (unknown, which is not the same as 0).
CREATE TABLE user_relationships (
  person_a INTEGER NOT NULL,
  person_b INTEGER NOT NULL,
  a_to_b   BOOLEAN,
  b_to_a   BOOLEAN,
  CHECK (person_a < person_b)
  -- (person_a, person_b) is unique by construction (one row per unordered pair; tested) but is
  -- deliberately not a PRIMARY KEY: DuckDB keeps that index in memory, and for a 16,384-actor
  -- matrix (13 M pairs) it alone needs more than the load's 256 MB memory limit, and at 3000
  -- actors it costs about 10% of the load. Rows are appended in matrix order, so DuckDB's min/max
  -- zone maps already make lookups by person_a cheap.
);

CREATE VIEW v_actor_relationships AS
SELECT r.person_a     AS person_a_id,
       a.letter_code  AS person_a_letter,
       a.actor_name   AS person_a_name,
       r.person_b     AS person_b_id,
       b.letter_code  AS person_b_letter,
       b.actor_name   AS person_b_name,
       r.a_to_b,
       r.b_to_a
FROM user_relationships r
JOIN actors a ON a.numeric_id = r.person_a
JOIN actors b ON b.numeric_id = r.person_b;

-- The matrix as typed, for the heat map: char i of `cells` is header position i: '1', '0', '.' (blank).
CREATE TABLE matrix_rows (
  numeric_id      INTEGER NOT NULL,
  matrix_position INTEGER,   -- the row actor's header position; NULL if its id is not in the header
  cells           VARCHAR NOT NULL
);

-- Every version loaded so far (carried forward from the previous snapshot). A version made by
-- `npm run etl -- --restore V` holds version V's data again: restored_from = V (NULL for loads);
-- its file_name, sha256 and size are those of V's workbook, and its changes go from the version
-- it replaced back to V's data. (Schema version 3; older snapshots lack the column.)
CREATE TABLE versions (
  version_id    INTEGER PRIMARY KEY,
  run_id        VARCHAR NOT NULL,
  loaded_at     TIMESTAMP NOT NULL,
  file_name     VARCHAR NOT NULL,
  sha256        VARCHAR NOT NULL,
  size          BIGINT NOT NULL,
  actors        INTEGER NOT NULL,
  pairs         INTEGER NOT NULL,
  restored_from INTEGER
);

-- What changed in each version against the one before (carried forward). The first version is
-- the baseline and has no rows here. Actors: field = the column that changed. Pairs: person_a <
-- person_b; field = 'a_to_b' or 'b_to_a' when a direction changed.
-- letter_code (schema version 4): an actor row's code in the version that had the actor, the new
-- one for added and changed, the previous one for removed, so a removed actor is still named by its
-- code once no served version has it; NULL for pairs, and in rows a load before version 4 wrote.
CREATE TABLE changes (
  version_id INTEGER NOT NULL,
  run_id     VARCHAR NOT NULL,
  loaded_at  TIMESTAMP NOT NULL,
  entity     VARCHAR NOT NULL CHECK (entity IN ('actor', 'pair')),
  change     VARCHAR NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
  numeric_id INTEGER,
  person_a   INTEGER,
  person_b   INTEGER,
  field      VARCHAR,
  old_value  VARCHAR,
  new_value  VARCHAR,
  letter_code VARCHAR
);

-- Quality findings of this version (errors never get here: they stop the load).
-- cell_values (schema version 5; older snapshots lack the column): the run record's `values`, what
-- each of `cells` holds in the same order (an element NULL where none was kept), for the checks that
-- keep them (both codes of each letter code disagreement); NULL for a finding that keeps none.
CREATE TABLE findings (
  check_name  VARCHAR NOT NULL,
  severity    VARCHAR NOT NULL,
  message     VARCHAR NOT NULL,
  cells       VARCHAR[] NOT NULL,
  count       INTEGER NOT NULL,
  cell_values VARCHAR[]
);

-- One row describing this snapshot.
CREATE TABLE snapshot_info (
  version_id   INTEGER NOT NULL,
  run_id       VARCHAR NOT NULL,
  published_at TIMESTAMP NOT NULL,
  file_name    VARCHAR NOT NULL,
  sha256       VARCHAR NOT NULL,
  size         BIGINT NOT NULL,
  matrix_sheet VARCHAR NOT NULL,
  list_sheet   VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL
);

-- Where the matrix sits in its sheet, so a reader can name any cell as the workbook does
-- ('Matriz de adyacencia'!F5) without the workbook: header position p is column first_col + p,
-- and its data row is sheet row sheet_rows[p + 1] (NULL when that actor has no data row).
-- Added in schema version 2; older snapshots lack it.
CREATE TABLE matrix_layout (
  sheet      VARCHAR NOT NULL,
  header_row INTEGER NOT NULL,
  first_col  INTEGER NOT NULL,
  code_row   INTEGER,
  id_col     INTEGER,
  code_col   INTEGER,
  sheet_rows INTEGER[] NOT NULL
);
