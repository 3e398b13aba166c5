/**
 * Every SQL statement the API runs on a relationship snapshot, in one place. Values always arrive
 * as bound parameters ($1...). The tables are etl/relationships/schema.sql's.
 */

/**
 * DuckDB's memory budget for the API's read-only connection to a served snapshot, in MiB (DuckDB's
 * default is 80% of the machine's RAM). Past it, DuckDB spills to a temporary folder of its own
 * (`relationships-spill-*` in the OS temp dir, removed when the snapshot is closed): netting a range
 * of /changes (5.5M change rows at 3,000 actors) grew the API to 4.8 GB without it. A query that
 * cannot spill and does not fit is a 503 `database-out-of-memory`.
 */
export const SNAPSHOT_MEMORY_MB = 512;

/** Relationship snapshot: the whole actor table, loaded into memory on open. */
export const SNAPSHOT_ACTORS = `
  select numeric_id::INTEGER as id, letter_code, actor_name as name, list_letter_code,
         in_matrix, in_list, matrix_position::INTEGER as matrix_position,
         coalesce(degree, 0)::INTEGER as degree, coalesce(unknown_cells, 0)::INTEGER as unknown_cells
  from actors order by numeric_id`;

/** Relationship snapshot: every marked pair (a row exists only for a 1, but a row without one is left out), streamed. */
export const SNAPSHOT_PAIRS = `
  select person_a::INTEGER as a, person_b::INTEGER as b, a_to_b, b_to_a
  from user_relationships where a_to_b is true or b_to_a is true order by person_a, person_b`;

/** Relationship snapshot: how many rows SNAPSHOT_PAIRS yields, to size the model's columns before reading them. */
export const SNAPSHOT_PAIR_COUNT = `
  select count(*)::INTEGER as n from user_relationships where a_to_b is true or b_to_a is true`;

/** Relationship snapshot: quality findings of the published version, the most severe first. */
export const SNAPSHOT_FINDINGS = `
  select check_name as "check", severity, message, cells, count::INTEGER as count, cell_values as "values" from findings
  order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, check_name`;

/** The same for a snapshot of schema version 4 or older, whose findings kept no values. */
export const SNAPSHOT_FINDINGS_V4 = SNAPSHOT_FINDINGS.replace("cell_values as", "NULL::VARCHAR[] as");

/** Relationship snapshot: which version this file holds. */
export const SNAPSHOT_INFO = `select version_id::INTEGER as version_id, run_id, published_at from snapshot_info limit 1`;

/** Relationship snapshot: where the matrix sits in its sheet (schema version 2 and later). */
export const SNAPSHOT_LAYOUT = `
  select sheet, header_row::INTEGER as header_row, first_col::INTEGER as first_col, code_row::INTEGER as code_row,
         id_col::INTEGER as id_col, code_col::INTEGER as code_col, sheet_rows
  from matrix_layout limit 1`;

/** Relationship snapshot: the changes one run made. */
export const SNAPSHOT_CHANGES_FOR_RUN = `
  select version_id::INTEGER as version_id, entity, change, numeric_id::INTEGER as numeric_id,
         person_a::INTEGER as person_a, person_b::INTEGER as person_b, field, old_value, new_value
  from changes where run_id = $1
  order by entity, change, numeric_id nulls last, person_a nulls last, person_b nulls last, field nulls last
  limit $2`;

/** Relationship snapshot: the data rows of header positions $1 (inclusive) to $2 (exclusive). */
export const SNAPSHOT_MATRIX_WINDOW = `
  select matrix_position::INTEGER as position, cells from matrix_rows
  where matrix_position >= $1 and matrix_position < $2`;

/**
 * Relationship snapshot: the 1s and 0s of the whole matrix ($1 = actors in the header), the
 * diagonal excluded (each row's own position), for the cell counts.
 */
export const SNAPSHOT_MATRIX_COUNTS = `
  select sum(length(cells) - length(replace(cells, '1', '')) - (substr(cells, matrix_position + 1, 1) = '1')::INTEGER)::BIGINT as one,
         sum(length(cells) - length(replace(cells, '0', '')) - (substr(cells, matrix_position + 1, 1) = '0')::INTEGER)::BIGINT as zero
  from (select distinct on (matrix_position) matrix_position, cells from matrix_rows
        where matrix_position is not null and matrix_position < $1 order by matrix_position)`;

/**
 * Relationship snapshot: whether it has table $1, and when $2 is not null its column $2 (the
 * optional tables findings, snapshot_info and matrix_layout, and columns later schema versions
 * added, are missing from older files). What is there is queried, and its failure reported: queries
 * for an older schema (`_V2`, `_V3`, `_V4`) are chosen by this, not run after any failure of the newer one.
 */
export const SNAPSHOT_HAS = `
  select count(*)::INTEGER as n from duckdb_columns()
  where database_name = current_database() and schema_name = 'main' and table_name = $1 and ($2::VARCHAR is null or column_name = $2)`;

/** Relationship snapshot: every published version, newest first. */
export const SNAPSHOT_VERSIONS = `
  select version_id::INTEGER as version_id, run_id, loaded_at, file_name, sha256, size::DOUBLE as size,
         actors::INTEGER as actors, pairs::INTEGER as pairs, restored_from::INTEGER as restored_from
  from versions order by version_id desc`;

/** The same for a snapshot of schema version 2 or older, which has no restores. */
export const SNAPSHOT_VERSIONS_V2 = SNAPSHOT_VERSIONS.replace("restored_from::INTEGER", "NULL::INTEGER");

/** Relationship snapshot: how many actors and pairs each version added, removed and changed. */
export const SNAPSHOT_CHANGE_COUNTS = `
  select version_id::INTEGER as version_id, entity || 's_' || change as key,
         count(distinct coalesce(numeric_id::VARCHAR, person_a || '-' || person_b))::INTEGER as n
  from changes group by all`;

/**
 * Relationship snapshot: the name and letter code each removed actor had in the last version that
 * had it (its latest removal's old value and code; NULL when that version gave it none), for change
 * rows about an actor the served version no longer has. Read from the history the file carries, so
 * it needs no kept snapshot and survives pruning.
 */
export const SNAPSHOT_REMOVED_ACTORS = `
  select distinct on (numeric_id) numeric_id::INTEGER as id, old_value as name, letter_code
  from changes where entity = 'actor' and change = 'removed' and field = 'actor_name'
  order by numeric_id, version_id desc`;

/** The same for a snapshot of schema version 3 or older, whose removals recorded no code. */
export const SNAPSHOT_REMOVED_ACTORS_V3 = SNAPSHOT_REMOVED_ACTORS.replace("letter_code\n", "NULL::VARCHAR as letter_code\n");

/**
 * Relationship snapshot: one page of changes, newest version first, then in the order the load
 * wrote them. Filters are NULL when not given: $1 version, $2 since (timestamp), $3 actor id,
 * $4 entity, $5 change; $6/$7 the cursor (version, rowid) to continue after; $8 the page size.
 */
export const SNAPSHOT_CHANGES_PAGE = `
  select version_id::INTEGER as version_id, run_id, loaded_at, entity, change, numeric_id::INTEGER as numeric_id,
         person_a::INTEGER as person_a, person_b::INTEGER as person_b, field, old_value, new_value, rowid::DOUBLE as row_key
  from changes
  where ($1::INTEGER is null or version_id = $1)
    and ($2::TIMESTAMP is null or loaded_at >= $2::TIMESTAMP)
    and ($3::INTEGER is null or numeric_id = $3 or person_a = $3 or person_b = $3)
    and ($4::VARCHAR is null or entity = $4)
    and ($5::VARCHAR is null or change = $5)
    and ($6::INTEGER is null or version_id < $6 or (version_id = $6 and rowid > $7::BIGINT))
    and ($9::INTEGER[] is null or (list_contains($9::INTEGER[], person_a) and list_contains($9::INTEGER[], person_b)))
  order by version_id desc, rowid
  limit $8`;

/**
 * Relationship snapshot: the net change from version $1's data to version $2's ($1 <= $2, both
 * held), computed from the changes of versions $1 + 1 to $2 into the temporary table `table` (of
 * the snapshot's own connection, named by `keptNet` in history.ts), one row per net change, numbered (`n`)
 * and stored in the order of the answers (entity, actor or pair, field; '' for none), so that pages
 * read it (SNAPSHOT_NET_CHANGES_PAGE) and never net the range again: an actor or pair is added when
 * it did not exist in $1 and does in $2 (its first change in the range is an addition, its last not
 * a removal), removed the other way round, and otherwise changed on each field whose value in $1
 * (its first change's old value) differs from its value in $2 (its last change's new value), so
 * one changed and changed back is no change. A version writes at most one row per field of an actor
 * or pair, and all its rows of one are the same change, so first and last are by version
 * (arg_min_null: a NULL value is a value), and an actor's or pair's first and last change are those
 * of its fields. A pair's addition and removal carry both directions (`a/b`, `?` for a blank),
 * split into its two fields. Each row carries the latest version of the range that changed it, and
 * that version's run and load time.
 */
export const SNAPSHOT_NET_CHANGES_KEEP = (table: string) => `
  create or replace temp table ${table} as
  with events as (
    select c.version_id, c.change, c.entity, k.k1, k.k2,
           coalesce(c.field, d.dir) as field,
           case when c.field is null then nullif(split_part(c.old_value, '/', d.part), '?') else c.old_value end as old_value,
           case when c.field is null then nullif(split_part(c.new_value, '/', d.part), '?') else c.new_value end as new_value
    from changes c
    cross join lateral (select coalesce(c.numeric_id, c.person_a) as k1, coalesce(c.person_b, -1) as k2) k
    left join (values ('a_to_b', 1), ('b_to_a', 2)) d(dir, part) on c.entity = 'pair' and c.field is null
    where c.version_id > $1 and c.version_id <= $2
  ),
  fields as (
    select entity, k1, k2, field,
           arg_min_null(old_value, version_id) as before, arg_max_null(new_value, version_id) as after,
           min(version_id) as first_version, max(version_id) as version_id,
           arg_min(change, version_id) as first_change, arg_max(change, version_id) as last_change
    from events group by entity, k1, k2, field
  ),
  entities as (
    select entity, k1, k2,
           arg_min(first_change, first_version) <> 'added' as existed, arg_max(last_change, version_id) <> 'removed' as exists_now,
           max(version_id) as version_id,
           case when entity = 'actor' then max(before) filter (where field = 'actor_name')
                else concat_ws('/', coalesce(max(before) filter (where field = 'a_to_b'), '?'), coalesce(max(before) filter (where field = 'b_to_a'), '?')) end as before,
           case when entity = 'actor' then max(after) filter (where field = 'actor_name')
                else concat_ws('/', coalesce(max(after) filter (where field = 'a_to_b'), '?'), coalesce(max(after) filter (where field = 'b_to_a'), '?')) end as after
    from fields group by entity, k1, k2
  ),
  net as (
    select f.entity, 'changed' as change, f.k1, f.k2, f.field, f.before as old_value, f.after as new_value, f.version_id
    from fields f join entities e on e.entity = f.entity and e.k1 = f.k1 and e.k2 = f.k2
    where e.existed and e.exists_now and f.before is distinct from f.after
    union all
    select entity, case when existed then 'removed' else 'added' end, k1, k2,
           case when entity = 'actor' then 'actor_name' end,
           case when existed then before end, case when exists_now then after end, version_id
    from entities
    where existed <> exists_now
  ),
  runs as (
    select version_id, any_value(run_id) as run_id, any_value(loaded_at) as loaded_at
    from changes where version_id > $1 and version_id <= $2 group by version_id
  )
  -- Numbered before the join and stored unsorted (pages order by n): numbering and sorting the
  -- join's output did not fit 256 MiB at 3,000 actors (SNAPSHOT_MEMORY_MB), this does.
  select w.n, w.version_id::INTEGER as version_id, runs.run_id, runs.loaded_at, w.entity, w.change,
         case when w.entity = 'actor' then w.k1 end::INTEGER as numeric_id,
         case when w.entity = 'pair' then w.k1 end::INTEGER as person_a,
         case when w.entity = 'pair' then w.k2 end::INTEGER as person_b,
         w.field, w.old_value, w.new_value, w.k1::INTEGER as k1, w.k2::INTEGER as k2
  from (select row_number() over (order by entity, k1, k2, coalesce(field, ''))::INTEGER as n, * from net) w
  join runs on runs.version_id = w.version_id`;

/**
 * Relationship snapshot: one page of the net change kept in `table` (SNAPSHOT_NET_CHANGES_KEEP).
 * Filters are NULL when not given: $1 actor id, $2 entity, $3 change, $9 ids both actors of a pair
 * are among; $4-$7 the key (entity, id or pair, field; '' for none) of the row to continue after, $4
 * NULL for the first page; $8 the page size.
 */
export const SNAPSHOT_NET_CHANGES_PAGE = (table: string) => `
  select version_id, run_id, loaded_at, entity, change, numeric_id, person_a, person_b,
         field, old_value, new_value, k1::DOUBLE as k1, k2::DOUBLE as k2
  from ${table}
  where ($1::INTEGER is null or numeric_id = $1 or person_a = $1 or person_b = $1)
    and ($2::VARCHAR is null or entity = $2)
    and ($3::VARCHAR is null or change = $3)
    and ($9::INTEGER[] is null or (list_contains($9::INTEGER[], person_a) and list_contains($9::INTEGER[], person_b)))
    and ($4::VARCHAR is null or entity > $4 or (entity = $4 and (k1 > $5 or (k1 = $5 and (k2 > $6 or (k2 = $6 and coalesce(field, '') > $7))))))
  order by n
  limit $8`;

/** Relationship snapshot: how many rows a kept net change (SNAPSHOT_NET_CHANGES_KEEP) holds. */
export const SNAPSHOT_NET_CHANGES_COUNT = (table: string) => `select count(*)::INTEGER as n from ${table}`;

/** Relationship snapshot: forgets a kept net change (SNAPSHOT_NET_CHANGES_KEEP). */
export const SNAPSHOT_NET_CHANGES_DROP = (table: string) => `drop table if exists ${table}`;
