/**
 * Built-in PostgreSQL functions with no side effects that a read-only query may call.
 *
 * How the list was derived:
 *  1. Every `pg_catalog` entry of `pg_proc` with `prokind IN ('f','a','w')` was dumped from
 *     PostgreSQL 15 (3234 functions, 2647 distinct names) and from PGlite 0.5.16
 *     (PostgreSQL 18, 3402 functions). The PG16-18 names are kept for PGlite.
 *  2. These names were dropped without review:
 *     - names whose every overload takes or returns `internal`, `trigger`,
 *       `event_trigger`, `fdw_handler`, `index_am_handler`, `table_am_handler`,
 *       `tsm_handler` or `language_handler` (planner, index AM, trigger and handler
 *       support functions);
 *     - names whose every overload is a type I/O, receive/send or typmod function
 *       (`pg_type.typinput` ...);
 *     - names whose every overload implements an operator (`pg_operator.oprcode`, e.g.
 *       `int4pl`, `textcat`), an aggregate's transition or final step, or an index
 *       support procedure (`pg_amproc`: `btint4cmp`, `hashtext` ...). SQL reaches these
 *       through operators and aggregates, not by name;
 *     - names whose every overload is a cast function (`int4(x)`, `date(x)`, `text(x)`).
 *       Use `CAST(x AS int)` or `x::int`.
 *     A few documented functions fall into those buckets and were added back by hand:
 *     `array_append`, `array_cat`, `array_prepend`, `starts_with`,
 *     `json(b)_extract_path(_text)`, `bound_box`, `inet_merge`, `inet_same_family`,
 *     the geometric constructors and `multirange`.
 *  3. The remaining ~830 names were classified by hand against the PostgreSQL docs.
 *     A name is allowed only if no overload writes anything, changes session or server
 *     state, waits or locks, assigns a transaction id, touches files, large objects or the
 *     network, runs SQL given as a string, or shows settings, config files or other
 *     sessions. When in doubt a name was left out; operators can add names through
 *     configuration (`sql.allow_functions`), except the names in
 *     {@link NEVER_ALLOWED_FUNCTIONS}.
 *  4. Some SQL syntax parses (libpg-query, PG18 grammar) into a FuncCall with a
 *     `pg_catalog.` name, and every such name is on the list:
 *     `EXTRACT` -> extract, `AT TIME ZONE` / `AT LOCAL` -> timezone,
 *     `SUBSTRING(... FROM/FOR/SIMILAR ...)` -> substring, `TRIM(BOTH|LEADING|TRAILING)` ->
 *     btrim/ltrim/rtrim, `OVERLAY` -> overlay, `POSITION(a IN b)` -> position,
 *     `COLLATION FOR` -> pg_collation_for, `IS [NOT] [form] NORMALIZED` -> is_normalized,
 *     `NORMALIZE` -> normalize, `[NOT] SIMILAR TO` -> similar_to_escape,
 *     `[NOT] [I]LIKE ... ESCAPE` -> like_escape, `OVERLAPS` -> overlaps,
 *     `XMLEXISTS` -> xmlexists, `SYSTEM_USER` -> system_user.
 *     (`TREAT(x AS t)` becomes a call to the type's cast function, e.g. `int4`, and is
 *     denied on purpose.) `CURRENT_DATE`, `CURRENT_USER`, `CURRENT_SCHEMA` and the like are
 *     SQLValueFunction nodes. `COALESCE`, `NULLIF`, `GREATEST` and `LEAST` are their own
 *     node types. XML constructors and the SQL/JSON constructors and query functions
 *     (`JSON_OBJECT(k VALUE v)`, `JSON_QUERY` ...) are not FuncCalls either.
 *
 * Names are lower case and unqualified. The policy strips a `pg_catalog.` qualifier.
 * Whether a name is allowed is decided per name, not per overload, so a name was left
 * out if any of its overloads is unsafe (e.g. `ts_rewrite(tsquery, text)` runs a query).
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // ---------------------------------------------------------------- math
  'abs', 'cbrt', 'ceil', 'ceiling', 'degrees', 'div', 'exp', 'factorial', 'floor', 'gcd', 'lcm',
  'ln', 'log', 'log10', 'min_scale', 'mod', 'pi', 'pow', 'power', 'radians', 'round', 'scale',
  'sign', 'sqrt', 'trim_scale', 'trunc', 'width_bucket',
  'erf', 'erfc', 'gamma', 'lgamma', // PG18
  // random() is volatile, but it has no side effects. setseed() changes session state and is never allowed.
  'random',
  'random_normal', // PG16
  // trigonometric and hyperbolic
  'acos', 'acosd', 'acosh', 'asin', 'asind', 'asinh', 'atan', 'atan2', 'atan2d', 'atand', 'atanh',
  'cos', 'cosd', 'cosh', 'cot', 'cotd', 'sin', 'sind', 'sinh', 'tan', 'tand', 'tanh',

  // ---------------------------------------------------------------- string
  'ascii', 'btrim', 'casefold', 'char_length', 'character_length', 'chr', 'concat', 'concat_ws',
  'format', 'initcap', 'is_normalized', 'left', 'length', 'lower', 'lpad', 'ltrim', 'normalize',
  'octet_length', 'overlay', 'parse_ident', 'position', 'quote_ident', 'quote_literal',
  'quote_nullable', 'repeat', 'replace', 'reverse', 'right', 'rpad', 'rtrim', 'split_part',
  'starts_with', 'string_to_array', 'string_to_table', 'strpos', 'substr', 'substring',
  'to_ascii', 'translate', 'unistr', 'upper',
  'unicode_assigned', 'unicode_version', // PG17
  // helpers that LIKE ... ESCAPE and SIMILAR TO parse into (similar_escape is the pre-PG13 name)
  'like_escape', 'similar_escape', 'similar_to_escape',

  // ---------------------------------------------------------------- regular expressions
  'regexp_count', 'regexp_instr', 'regexp_like', 'regexp_match', 'regexp_matches',
  'regexp_replace', 'regexp_split_to_array', 'regexp_split_to_table', 'regexp_substr',

  // ---------------------------------------------------------------- date/time
  'age', 'clock_timestamp', 'date_bin', 'date_part', 'date_trunc', 'extract', 'isfinite',
  'justify_days', 'justify_hours', 'justify_interval', 'make_date', 'make_interval', 'make_time',
  'make_timestamp', 'make_timestamptz', 'now', 'overlaps', 'statement_timestamp', 'timeofday',
  'timezone', 'transaction_timestamp',
  'date_add', 'date_subtract', // PG16
  // Time zone catalogs. These read the server's fixed tz database, nothing per-installation.
  'pg_timezone_abbrevs', 'pg_timezone_names',
  'pg_timezone_abbrevs_abbrevs', 'pg_timezone_abbrevs_zone', // PG18 split of pg_timezone_abbrevs

  // ---------------------------------------------------------------- type formatting
  'to_char', 'to_date', 'to_number', 'to_timestamp', 'to_hex',
  'to_bin', 'to_oct', // PG16
  'cash_words',

  // ---------------------------------------------------------------- json / jsonb
  'array_to_json', 'row_to_json', 'to_json', 'to_jsonb',
  'json_array_elements', 'json_array_elements_text', 'json_array_length', 'json_build_array',
  'json_build_object', 'json_each', 'json_each_text', 'json_extract_path',
  'json_extract_path_text', 'json_object', 'json_object_keys', 'json_populate_record',
  'json_populate_recordset', 'json_strip_nulls', 'json_to_record', 'json_to_recordset',
  'json_typeof',
  'jsonb_array_elements', 'jsonb_array_elements_text', 'jsonb_array_length', 'jsonb_build_array',
  'jsonb_build_object', 'jsonb_each', 'jsonb_each_text', 'jsonb_extract_path',
  'jsonb_extract_path_text', 'jsonb_insert', 'jsonb_object', 'jsonb_object_keys',
  'jsonb_populate_record', 'jsonb_populate_recordset', 'jsonb_pretty', 'jsonb_set',
  'jsonb_set_lax', 'jsonb_strip_nulls', 'jsonb_to_record', 'jsonb_to_recordset', 'jsonb_typeof',
  'jsonb_populate_record_valid', // PG17
  // SQL/JSON path language
  'jsonb_path_exists', 'jsonb_path_exists_tz', 'jsonb_path_match', 'jsonb_path_match_tz',
  'jsonb_path_query', 'jsonb_path_query_array', 'jsonb_path_query_array_tz',
  'jsonb_path_query_first', 'jsonb_path_query_first_tz', 'jsonb_path_query_tz',

  // ---------------------------------------------------------------- xml (parser has external entities disabled)
  'xml_is_well_formed', 'xml_is_well_formed_content', 'xml_is_well_formed_document',
  'xmlcomment', 'xmlexists', 'xpath', 'xpath_exists',
  'xmltext', // PG16

  // ---------------------------------------------------------------- arrays
  'array_append', 'array_cat', 'array_dims', 'array_fill', 'array_length', 'array_lower',
  'array_ndims', 'array_position', 'array_positions', 'array_prepend', 'array_remove',
  'array_replace', 'array_to_string', 'array_upper', 'cardinality', 'trim_array',
  'array_sample', 'array_shuffle', // PG16
  'array_reverse', 'array_sort', // PG18

  // ---------------------------------------------------------------- set-returning generators
  'generate_series', 'generate_subscripts', 'unnest',

  // ---------------------------------------------------------------- ranges / multiranges
  'daterange', 'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange',
  'datemultirange', 'int4multirange', 'int8multirange', 'nummultirange', 'tsmultirange',
  'tstzmultirange', 'multirange',
  'isempty', 'lower_inc', 'lower_inf', 'range_merge', 'upper_inc', 'upper_inf',

  // ---------------------------------------------------------------- aggregates
  'array_agg', 'avg', 'bit_and', 'bit_or', 'bit_xor', 'bool_and', 'bool_or', 'count', 'every',
  'json_agg', 'json_object_agg', 'jsonb_agg', 'jsonb_object_agg', 'max', 'min', 'range_agg',
  'range_intersect_agg', 'string_agg', 'sum', 'xmlagg',
  'any_value', // PG16
  'json_agg_strict', 'json_object_agg_strict', 'json_object_agg_unique',
  'json_object_agg_unique_strict', 'jsonb_agg_strict', 'jsonb_object_agg_strict',
  'jsonb_object_agg_unique', 'jsonb_object_agg_unique_strict', // PG16
  // statistics
  'corr', 'covar_pop', 'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept',
  'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy', 'stddev', 'stddev_pop',
  'stddev_samp', 'var_pop', 'var_samp', 'variance',
  // ordered-set aggregates (... WITHIN GROUP (ORDER BY ...))
  'mode', 'percentile_cont', 'percentile_disc',
  // hypothetical-set aggregates: rank, dense_rank, percent_rank, cume_dist (listed under window functions)

  // ---------------------------------------------------------------- window functions
  'cume_dist', 'dense_rank', 'first_value', 'lag', 'last_value', 'lead', 'nth_value', 'ntile',
  'percent_rank', 'rank', 'row_number',

  // ---------------------------------------------------------------- geometric
  'area', 'center', 'diagonal', 'diameter', 'height', 'isclosed', 'ishorizontal', 'isopen',
  'isparallel', 'isperp', 'isvertical', 'npoints', 'pclose', 'popen', 'radius', 'slope', 'width',
  // constructors / conversions (documented as functions, unlike the scalar cast functions)
  'bound_box', 'box', 'circle', 'line', 'lseg', 'path', 'point', 'polygon',

  // ---------------------------------------------------------------- network (inet / cidr / macaddr)
  'abbrev', 'broadcast', 'family', 'host', 'hostmask', 'inet_merge', 'inet_same_family',
  'masklen', 'netmask', 'network', 'set_masklen', 'macaddr8_set7bit',
  // Not inet_client_addr/_port or inet_server_addr/_port: they show network
  // addresses and the query does not need them. Configuration can add them.

  // ---------------------------------------------------------------- text search
  'array_to_tsvector', 'get_current_ts_config', 'json_to_tsvector', 'jsonb_to_tsvector',
  'numnode', 'phraseto_tsquery', 'plainto_tsquery', 'querytree', 'setweight', 'strip',
  'to_tsquery', 'to_tsvector', 'ts_debug', 'ts_delete', 'ts_filter', 'ts_headline', 'ts_lexize',
  'ts_parse', 'ts_rank', 'ts_rank_cd', 'ts_token_type', 'tsquery_phrase', 'tsvector_to_array',
  'websearch_to_tsquery',
  // Not ts_stat(sqlquery) or ts_rewrite(query, sqlquery): both run SQL given as a string.

  // ---------------------------------------------------------------- uuid
  'gen_random_uuid',
  'uuid_extract_timestamp', 'uuid_extract_version', // PG17
  'uuidv4', 'uuidv7', // PG18

  // ---------------------------------------------------------------- bytea / bit strings / encoding / hashing
  'bit_count', 'bit_length', 'convert', 'convert_from', 'convert_to', 'decode', 'encode',
  'get_bit', 'get_byte', 'md5', 'set_bit', 'set_byte', 'sha224', 'sha256', 'sha384', 'sha512',
  'crc32', 'crc32c', // PG18
  // set_bit/set_byte return a modified copy of the value and change nothing else

  // ---------------------------------------------------------------- enum / row / misc
  'enum_first', 'enum_last', 'enum_range', 'format_type', 'num_nonnulls', 'num_nulls',
  'pg_collation_for', 'pg_column_compression', 'pg_column_size', 'pg_typeof',
  'pg_size_bytes', 'pg_size_pretty',
  'pg_input_error_info', 'pg_input_is_valid', // PG16
  'pg_basetype', 'to_regtypemod', // PG17
  // encodings of the current database / client (not secrets)
  'getdatabaseencoding', 'pg_char_to_encoding', 'pg_client_encoding', 'pg_encoding_max_length',
  'pg_encoding_to_char',

  // ---------------------------------------------------------------- session identity
  // The keyword forms CURRENT_USER, SESSION_USER, CURRENT_CATALOG and CURRENT_SCHEMA parse to
  // SQLValueFunction nodes and skip this list anyway, so leaving out the function forms would
  // protect nothing. SYSTEM_USER parses to pg_catalog.system_user(). current_schemas() shows
  // the search_path, which is not a secret.
  'current_database', 'current_schema', 'current_schemas', 'current_user', 'session_user',
  'system_user',
  // Not version(): it shows the exact server build, compiler and OS, which is recon for an
  // attacker, and the query does not need it. Configuration can allow version(); a
  // deployment cannot deny something the built-in list allows.

  // ---------------------------------------------------------------- catalog information (read-only)
  // Object name resolution (no error for unknown names)
  'to_regclass', 'to_regcollation', 'to_regnamespace', 'to_regoper', 'to_regoperator',
  'to_regproc', 'to_regprocedure', 'to_regrole', 'to_regtype',
  // Privilege checks, so the assistant can find out what it may read
  'has_any_column_privilege', 'has_column_privilege', 'has_database_privilege',
  'has_foreign_data_wrapper_privilege', 'has_function_privilege', 'has_language_privilege',
  'has_largeobject_privilege', 'has_parameter_privilege', 'has_schema_privilege',
  'has_sequence_privilege', 'has_server_privilege', 'has_table_privilege',
  'has_tablespace_privilege', 'has_type_privilege', 'pg_has_role',
  // Search-path visibility
  'pg_collation_is_visible', 'pg_conversion_is_visible', 'pg_function_is_visible',
  'pg_opclass_is_visible', 'pg_operator_is_visible', 'pg_opfamily_is_visible',
  'pg_statistics_obj_is_visible', 'pg_table_is_visible', 'pg_ts_config_is_visible',
  'pg_ts_dict_is_visible', 'pg_ts_parser_is_visible', 'pg_ts_template_is_visible',
  'pg_type_is_visible',
  // Not the comment readers (col_description, obj_description, shobj_description): like the
  // definition readers below, they print the text anyone wrote on any object, a column the
  // role may not see included. describe_table and list_tables show the comments of what the
  // role may see.
  // Signatures and names only. The definition readers (pg_get_viewdef, pg_get_functiondef,
  // pg_get_function_sqlbody, pg_get_function_arguments and _arg_default, pg_get_triggerdef,
  // pg_get_ruledef, pg_get_indexdef, pg_get_constraintdef, pg_get_expr, pg_get_partkeydef,
  // pg_get_partition_constraintdef, pg_get_statisticsobjdef*) are left out: they print the
  // text of any object, with its constants, whether or not the role may see what it reads.
  // describe_table shows what the role may see of them (Bastion's own catalog queries).
  'pg_get_function_identity_arguments', 'pg_get_function_result',
  'pg_get_serial_sequence', 'pg_get_userbyid', 'pg_get_replica_identity_index', 'pg_get_keywords',
  'pg_get_catalog_foreign_keys',
  // Object identification and index / partition metadata
  'pg_describe_object', 'pg_get_object_address', 'pg_identify_object',
  'pg_identify_object_as_address', 'pg_index_column_has_property', 'pg_index_has_property',
  'pg_indexam_has_property', 'pg_options_to_table', 'pg_partition_ancestors',
  'pg_partition_root', 'pg_partition_tree',
  // Object sizes. They stat the relation's own files and return a byte count: no paths, no
  // contents, no settings. Questions like "how big is this table" are ordinary. Paths
  // (pg_relation_filepath, pg_tablespace_location) are left out.
  'pg_database_size', 'pg_indexes_size', 'pg_relation_size', 'pg_table_size',
  'pg_tablespace_size', 'pg_total_relation_size',
]);

/**
 * Catalog lookups by name or object id (on the allow-list above) that a role with table or
 * column rules may not call: they answer about any object, a denied table or column included
 * — whether it exists (`to_regclass`, `has_column_privilege`), how big it is
 * (`pg_relation_size`), what it is called (`pg_identify_object`). For such a role a denied
 * table is invisible and a denied column does not exist; list_tables and describe_table show
 * what it may see. The reg* types do the same by cast (`'t'::regclass`): see REGISTRY_TYPES.
 */
export const LOOKUPS_UNDER_RULES: ReadonlySet<string> = new Set([
  ...[...ALLOWED_FUNCTIONS].filter(
    (name) => name !== 'pg_column_size' && /^(to_reg|has_.*_privilege$|pg_has_role$|pg_.*_is_visible$|pg_.*_size$|pg_partition_|pg_index|pg_identify_object|pg_describe_object$|pg_get_object_address$)/.test(name),
  ),
  'pg_get_serial_sequence', 'pg_get_replica_identity_index', 'pg_get_function_identity_arguments', 'pg_get_function_result',
]);

/** Object-identifier types whose input looks a name up in the catalog (see LOOKUPS_UNDER_RULES). */
export const REGISTRY_TYPES: ReadonlySet<string> = new Set([
  'regclass', 'regcollation', 'regconfig', 'regdictionary', 'regnamespace', 'regoper', 'regoperator', 'regproc', 'regprocedure', 'regrole', 'regtype',
]);

/**
 * Names that must never be allowed, even if configuration tries to add them (config extension is refused for these).
 *
 * The list covers functions that write or change state (sequences, large objects, settings,
 * stats, replication, backups, WAL, indexes), wait or lock (sleeps, advisory locks), assign
 * a transaction id, touch the server's filesystem, or run SQL given as a string (which would
 * get around the table policy). It also covers functions that show settings, config files
 * or other sessions' queries and addresses, and dangerous functions from common extensions
 * (dblink, adminpack, tablefunc, xml2, pageinspect, pg_surgery, pg_walinspect, pg_prewarm,
 * pg_stat_statements, pg_buffercache, pg_visibility, postgres_fdw, pg_trgm, isn).
 *
 * Read-only functions that only reveal server details are left off the allow-list but are
 * not in this set, so configuration can still allow them. Examples: version(),
 * inet_server_addr(), pg_stat_get_live_tuples(), pg_lock_status(), pg_backend_pid().
 */
export const NEVER_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // ---------------------------------------------------------------- server filesystem
  'pg_read_file', 'pg_read_file_old', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_dir',
  'pg_ls_archive_statusdir', 'pg_ls_logdir', 'pg_ls_logicalmapdir', 'pg_ls_logicalsnapdir',
  'pg_ls_replslotdir', 'pg_ls_summariesdir', 'pg_ls_tmpdir', 'pg_ls_waldir', 'pg_current_logfile',
  // adminpack
  'pg_file_write', 'pg_file_read', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync',
  'pg_file_length', 'pg_logdir_ls', 'pg_logfile_rotate',

  // ---------------------------------------------------------------- large objects (lo_import/lo_export touch server files)
  'lo_close', 'lo_creat', 'lo_create', 'lo_export', 'lo_from_bytea', 'lo_get', 'lo_import',
  'lo_lseek', 'lo_lseek64', 'lo_open', 'lo_put', 'lo_tell', 'lo_tell64', 'lo_truncate',
  'lo_truncate64', 'lo_unlink', 'loread', 'lowrite',
  // lo extension
  'lo_manage',

  // ---------------------------------------------------------------- SQL given as a string (gets around the table policy)
  'query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'table_to_xml',
  'table_to_xml_and_xmlschema', 'table_to_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema',
  'schema_to_xml', 'schema_to_xml_and_xmlschema', 'schema_to_xmlschema', 'database_to_xml',
  'database_to_xml_and_xmlschema', 'database_to_xmlschema', 'ts_stat', 'ts_rewrite',
  // tablefunc / xml2
  'crosstab', 'crosstab2', 'crosstab3', 'crosstab4', 'connectby', 'xpath_table', 'xslt_process',

  // ---------------------------------------------------------------- dblink / postgres_fdw (network)
  'dblink', 'dblink_build_sql_delete', 'dblink_build_sql_insert', 'dblink_build_sql_update',
  'dblink_cancel_query', 'dblink_close', 'dblink_connect', 'dblink_connect_u',
  'dblink_current_query', 'dblink_disconnect', 'dblink_error_message', 'dblink_exec',
  'dblink_fdw_validator', 'dblink_fetch', 'dblink_get_connections', 'dblink_get_notify',
  'dblink_get_pkey', 'dblink_get_result', 'dblink_is_busy', 'dblink_open', 'dblink_send_query',
  'postgres_fdw_disconnect', 'postgres_fdw_disconnect_all', 'postgres_fdw_get_connections',

  // ---------------------------------------------------------------- settings and session state
  'set_config', 'current_setting', 'setseed', 'pg_show_all_settings', 'pg_show_all_file_settings',
  'pg_hba_file_rules', 'pg_ident_file_mappings', 'pg_config', 'pg_stat_clear_snapshot',
  'pg_stat_force_next_flush',
  // extension setters (pg_trgm set_limit, isn isn_weak change a GUC)
  'set_limit', 'isn_weak',

  // ---------------------------------------------------------------- sequences
  'nextval', 'setval', 'currval', 'lastval',

  // ---------------------------------------------------------------- locks, sleeps, notifications
  'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_unlock', 'pg_advisory_unlock_all',
  'pg_advisory_unlock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock', 'pg_try_advisory_lock_shared', 'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared', 'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'pg_notify',

  // ---------------------------------------------------------------- transaction ids (these assign one)
  'txid_current', 'pg_current_xact_id',

  // ---------------------------------------------------------------- backend and server control
  'pg_cancel_backend', 'pg_terminate_backend', 'pg_reload_conf', 'pg_rotate_logfile',
  'pg_rotate_logfile_old', 'pg_log_backend_memory_contexts', 'pg_promote', 'pg_switch_wal',
  'pg_switch_xlog', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop',
  'pg_start_backup', 'pg_stop_backup', 'pg_wal_replay_pause', 'pg_wal_replay_resume',
  'pg_xlog_replay_pause', 'pg_xlog_replay_resume', 'pg_export_snapshot',
  'pg_import_system_collations', 'pg_extension_config_dump', 'pg_nextoid',
  'pg_stop_making_pinned_objects', 'pg_log_standby_snapshot',
  'brin_summarize_new_values', 'brin_summarize_range', 'brin_desummarize_range',
  'gin_clean_pending_list',
  // statistics reset / overwrite
  'pg_stat_reset', 'pg_stat_reset_shared', 'pg_stat_reset_single_function_counters',
  'pg_stat_reset_single_table_counters', 'pg_stat_reset_slru', 'pg_stat_reset_replication_slot',
  'pg_stat_reset_subscription_stats', 'pg_stat_reset_backend_stats', 'pg_restore_relation_stats',
  'pg_restore_attribute_stats', 'pg_clear_relation_stats', 'pg_clear_attribute_stats',
  // pg_upgrade internals
  'binary_upgrade_create_empty_extension', 'binary_upgrade_set_missing_value',
  'binary_upgrade_set_next_array_pg_type_oid', 'binary_upgrade_set_next_heap_pg_class_oid',
  'binary_upgrade_set_next_heap_relfilenode', 'binary_upgrade_set_next_index_pg_class_oid',
  'binary_upgrade_set_next_index_relfilenode', 'binary_upgrade_set_next_multirange_array_pg_type_oid',
  'binary_upgrade_set_next_multirange_pg_type_oid', 'binary_upgrade_set_next_pg_authid_oid',
  'binary_upgrade_set_next_pg_enum_oid', 'binary_upgrade_set_next_pg_tablespace_oid',
  'binary_upgrade_set_next_pg_type_oid', 'binary_upgrade_set_next_toast_pg_class_oid',
  'binary_upgrade_set_next_toast_relfilenode', 'binary_upgrade_set_record_init_privs',
  'binary_upgrade_set_next_attribute_versions', 'binary_upgrade_add_sub_rel_state',
  'binary_upgrade_logical_slot_has_caught_up', 'binary_upgrade_replorigin_advance',

  // ---------------------------------------------------------------- replication
  'pg_create_logical_replication_slot', 'pg_create_physical_replication_slot',
  'pg_copy_logical_replication_slot', 'pg_copy_physical_replication_slot',
  'pg_drop_replication_slot', 'pg_replication_slot_advance', 'pg_sync_replication_slots',
  'pg_logical_emit_message', 'pg_logical_slot_get_binary_changes', 'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_binary_changes', 'pg_logical_slot_peek_changes',
  'pg_replication_origin_advance', 'pg_replication_origin_create', 'pg_replication_origin_drop',
  'pg_replication_origin_oid', 'pg_replication_origin_progress',
  'pg_replication_origin_session_is_setup', 'pg_replication_origin_session_progress',
  'pg_replication_origin_session_reset', 'pg_replication_origin_session_setup',
  'pg_replication_origin_xact_reset', 'pg_replication_origin_xact_setup',
  'pg_show_replication_origin_status',

  // ---------------------------------------------------------------- other sessions' activity (query text, client addresses)
  'pg_stat_get_activity', 'pg_stat_get_backend_activity', 'pg_stat_get_backend_activity_start',
  'pg_stat_get_backend_client_addr', 'pg_stat_get_backend_client_port',
  'pg_stat_get_backend_dbid', 'pg_stat_get_backend_idset', 'pg_stat_get_backend_io',
  'pg_stat_get_backend_pid', 'pg_stat_get_backend_start', 'pg_stat_get_backend_subxact',
  'pg_stat_get_backend_userid', 'pg_stat_get_backend_wait_event',
  'pg_stat_get_backend_wait_event_type', 'pg_stat_get_backend_wal',
  'pg_stat_get_backend_xact_start', 'pg_stat_get_wal_senders', 'pg_stat_get_wal_receiver',
  'pg_stat_statements', 'pg_stat_statements_info', 'pg_stat_statements_reset',

  // ---------------------------------------------------------------- raw storage access / cache manipulation (extensions)
  'get_raw_page', 'heap_page_items', 'heap_page_item_attrs', 'tuple_data_split',
  'heap_force_freeze', 'heap_force_kill', 'pg_truncate_visibility_map',
  'pg_get_wal_record_info', 'pg_get_wal_records_info', 'pg_get_wal_records_info_till_end_of_wal',
  'pg_get_wal_stats', 'pg_get_wal_stats_till_end_of_wal', 'pg_get_wal_block_info',
  'pg_prewarm', 'autoprewarm_dump_now', 'autoprewarm_start_worker',
  'pg_buffercache_evict', 'pg_buffercache_evict_all', 'pg_buffercache_evict_relation',
]);
