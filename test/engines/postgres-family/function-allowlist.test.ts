import { describe, it, expect } from 'vitest';
import { ALLOWED_FUNCTIONS, NEVER_ALLOWED_FUNCTIONS } from '../../../src/engines/postgres-family/policy/function-allowlist.js';

/** Functions with side effects, host access, SQL-from-string execution or secret-revealing output. */
const DANGEROUS: readonly string[] = [
  // server filesystem
  'pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_dir', 'pg_ls_logdir', 'pg_ls_waldir',
  'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'pg_ls_replslotdir', 'pg_current_logfile',
  'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_logdir_ls',
  // large objects
  'lo_import', 'lo_export', 'lo_open', 'lo_create', 'lo_creat', 'lo_unlink', 'lo_get', 'lo_put',
  'lo_from_bytea', 'lo_truncate', 'loread', 'lowrite',
  // network
  'dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open',
  // SQL given as a string
  'query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'table_to_xml',
  'table_to_xml_and_xmlschema', 'table_to_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema',
  'schema_to_xml', 'schema_to_xml_and_xmlschema', 'database_to_xml', 'database_to_xmlschema',
  'ts_stat', 'ts_rewrite', 'crosstab', 'connectby', 'xpath_table',
  // settings and session state
  'set_config', 'current_setting', 'setseed', 'pg_show_all_settings', 'pg_show_all_file_settings',
  'pg_hba_file_rules', 'pg_ident_file_mappings', 'pg_config',
  // sequences
  'nextval', 'setval', 'currval', 'lastval',
  // locks, sleeps, notifications
  'pg_advisory_lock', 'pg_advisory_xact_lock', 'pg_advisory_unlock_all', 'pg_try_advisory_lock',
  'pg_try_advisory_xact_lock_shared', 'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'pg_notify',
  // transaction-id assignment
  'txid_current', 'pg_current_xact_id',
  // backend and server control
  'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile',
  'pg_stat_reset', 'pg_stat_reset_shared', 'pg_stat_reset_single_table_counters', 'pg_switch_wal',
  'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop', 'pg_promote',
  'pg_wal_replay_pause', 'pg_wal_replay_resume', 'pg_log_backend_memory_contexts',
  'pg_import_system_collations', 'pg_export_snapshot',
  // replication
  'pg_replication_origin_create', 'pg_replication_origin_drop', 'pg_replication_origin_session_setup',
  'pg_create_logical_replication_slot', 'pg_create_physical_replication_slot',
  'pg_drop_replication_slot', 'pg_logical_emit_message', 'pg_logical_slot_get_changes',
  // other sessions
  'pg_stat_get_activity', 'pg_stat_get_backend_activity', 'pg_stat_get_backend_client_addr',
  'pg_stat_statements',
];

/** Dangerous name shapes; no allowed name may match any of them. */
const DANGEROUS_PATTERNS: readonly RegExp[] = [
  /^pg_(read|ls|stat_file|terminate|cancel|reload|rotate|stat_reset|switch|create|drop|promote|advisory|try_advisory|sleep|notify|file|logical|replication)/,
  /^lo_/,
  /^dblink/,
  /_to_xml/,
  /^(nextval|setval|currval|lastval|set_config|setseed|current_setting)$/,
  /^(txid_current|pg_current_xact_id)$/,
  /^(query|table|cursor|schema|database)_to_xml/,
  /^ts_(stat|rewrite)$/,
];

/** Functions that ordinary analytics SQL uses and that must keep working. */
const COMMON_ANALYTICS: readonly string[] = [
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg',
  'jsonb_object_agg', 'bool_and', 'bool_or', 'every', 'stddev', 'stddev_samp', 'variance',
  'var_pop', 'corr', 'covar_samp', 'regr_slope', 'percentile_cont', 'percentile_disc', 'mode',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // math
  'abs', 'round', 'trunc', 'ceil', 'floor', 'power', 'sqrt', 'ln', 'log', 'exp', 'mod', 'gcd',
  'random', 'width_bucket', 'sign',
  // strings
  'lower', 'upper', 'length', 'char_length', 'substring', 'substr', 'position', 'strpos',
  'replace', 'split_part', 'concat', 'concat_ws', 'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad',
  'left', 'right', 'initcap', 'format', 'regexp_replace', 'regexp_match', 'regexp_matches',
  'regexp_split_to_table', 'string_to_array', 'starts_with', 'md5', 'encode', 'decode', 'sha256',
  // date/time
  'now', 'age', 'date_part', 'date_trunc', 'extract', 'date_bin', 'make_date', 'make_interval',
  'make_timestamp', 'to_char', 'to_date', 'to_timestamp', 'to_number', 'timezone',
  'justify_interval', 'isfinite',
  // json
  'to_json', 'to_jsonb', 'json_build_object', 'jsonb_build_object', 'jsonb_array_elements',
  'jsonb_each', 'jsonb_object_keys', 'jsonb_extract_path_text', 'jsonb_typeof',
  'jsonb_path_query', 'jsonb_set', 'json_object', 'row_to_json',
  // arrays, series, ranges
  'array_length', 'array_to_string', 'array_position', 'cardinality', 'array_append',
  'unnest', 'generate_series', 'generate_subscripts', 'lower_inc', 'upper_inf', 'tstzrange',
  'daterange', 'range_agg',
  // text search, uuid, misc, catalog
  'to_tsvector', 'to_tsquery', 'plainto_tsquery', 'websearch_to_tsquery', 'ts_rank', 'ts_headline',
  'gen_random_uuid', 'pg_typeof', 'format_type', 'num_nulls', 'num_nonnulls',
  'has_table_privilege', 'to_regclass', 'pg_size_pretty', 'pg_relation_size',
  'current_database', 'current_schema',
];

/** Names that SQL syntax parses into (libpg-query emits them as pg_catalog.<name> FuncCalls). */
const SYNTAX_FUNCTIONS: readonly string[] = [
  'extract', // EXTRACT(field FROM x)
  'date_part', // EXTRACT before PG14, and commonly written directly
  'timezone', // x AT TIME ZONE z, x AT LOCAL
  'substring', // SUBSTRING(x FROM a FOR b), SUBSTRING(x SIMILAR p ESCAPE e)
  'btrim', // TRIM([BOTH] ...)
  'ltrim', // TRIM(LEADING ...)
  'rtrim', // TRIM(TRAILING ...)
  'overlay', // OVERLAY(x PLACING y FROM a FOR b)
  'position', // POSITION(a IN b)
  'pg_collation_for', // COLLATION FOR (x)
  'is_normalized', // x IS [NOT] [form] NORMALIZED
  'normalize', // NORMALIZE(x [, form])
  'similar_to_escape', // x [NOT] SIMILAR TO p [ESCAPE e]
  'like_escape', // x [NOT] [I]LIKE p ESCAPE e
  'overlaps', // (a, b) OVERLAPS (c, d)
  'xmlexists', // XMLEXISTS(path PASSING x)
  'system_user', // SYSTEM_USER
];

describe('function allow-list', () => {
  it('has a hard-coded dangerous list of at least 60 names', () => {
    expect(new Set(DANGEROUS).size).toBeGreaterThanOrEqual(60);
  });

  it.each(DANGEROUS)('never allows %s', (name) => {
    expect(ALLOWED_FUNCTIONS.has(name)).toBe(false);
    expect(NEVER_ALLOWED_FUNCTIONS.has(name)).toBe(true);
  });

  it('allows no name that matches a dangerous pattern', () => {
    const offending = [...ALLOWED_FUNCTIONS].filter((name) => DANGEROUS_PATTERNS.some((re) => re.test(name)));
    expect(offending).toEqual([]);
  });

  it('keeps the allowed and never-allowed sets disjoint', () => {
    const overlap = [...ALLOWED_FUNCTIONS].filter((name) => NEVER_ALLOWED_FUNCTIONS.has(name));
    expect(overlap).toEqual([]);
  });

  it('uses lower-case unqualified names only', () => {
    const bad = [...ALLOWED_FUNCTIONS, ...NEVER_ALLOWED_FUNCTIONS].filter((name) => !/^[a-z_][a-z0-9_]*$/.test(name));
    expect(bad).toEqual([]);
  });

  it('allows no type I/O, cast-as-function or operator-implementation names', () => {
    const odd = [...ALLOWED_FUNCTIONS].filter(
      (name) =>
        /(_in|_out|_recv|_send|_support|typmodin|typmodout)$/.test(name) ||
        /^(int2|int4|int8|float4|float8|numeric|text|varchar|bpchar|date|timestamp|timestamptz|bool|regclass)$/.test(name) ||
        /^(int[248]|float[48]|numeric|text|date|timestamp|interval)(pl|mi|mul|div|eq|ne|lt|le|gt|ge|cat|cmp)$/.test(name),
    );
    expect(odd).toEqual([]);
  });

  it('leaves out info-revealing borderline functions by default', () => {
    for (const name of ['version', 'inet_server_addr', 'inet_server_port', 'inet_client_addr', 'inet_client_port', 'pg_backend_pid', 'pg_lock_status', 'pg_relation_filepath', 'pg_tablespace_location', 'txid_current_snapshot', 'pg_current_snapshot', 'txid_current_if_assigned']) {
      expect(ALLOWED_FUNCTIONS.has(name), name).toBe(false);
    }
  });

  it('leaves out the definition and comment readers, which print any object\'s text with its constants', () => {
    const readers = [
      'col_description', 'obj_description', 'shobj_description',
      'pg_get_viewdef', 'pg_get_functiondef', 'pg_get_function_sqlbody', 'pg_get_function_arguments',
      'pg_get_function_arg_default', 'pg_get_triggerdef', 'pg_get_ruledef', 'pg_get_indexdef',
      'pg_get_constraintdef', 'pg_get_expr', 'pg_get_partkeydef', 'pg_get_partition_constraintdef',
      'pg_get_statisticsobjdef', 'pg_get_statisticsobjdef_columns', 'pg_get_statisticsobjdef_expressions',
    ];
    expect(readers.filter((name) => ALLOWED_FUNCTIONS.has(name))).toEqual([]);
  });

  it('has a list of common analytics functions to check', () => {
    expect(COMMON_ANALYTICS.length).toBeGreaterThanOrEqual(80);
  });

  it.each(COMMON_ANALYTICS)('allows common analytics function %s', (name) => {
    expect(ALLOWED_FUNCTIONS.has(name)).toBe(true);
  });

  it.each(SYNTAX_FUNCTIONS)('allows %s, which SQL syntax parses into', (name) => {
    expect(ALLOWED_FUNCTIONS.has(name)).toBe(true);
  });
});
