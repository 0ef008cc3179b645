{#-
    A log of the keys an incremental model no longer holds, so that the models reading it find
    what is gone without comparing every stored row with every current one. At 1M leads each
    such comparison is a hash join of millions of keys (fct_touchpoints against
    int_touchpoints_unioned, 6.4M touches: 1.4 s of a daily run, and again in its post-hook);
    the log holds the keys a day re-examined and dropped.

    <model>__gone, beside the model: one row per key a run re-examined and does not hold after
    it (gone_key) with that run's stamp (gone_at, macro run_stamp): the keys it deleted, and
    some it never held (int_touchpoints_unioned re-examines campaign responses that stay the
    MAP's own; readers hold no row of those, so listing them costs a lookup, never a row).
    Plus one marker row (gone_key null) stamped with the run that started the log: a full
    build, the first run that found no log, or a run that deleted keys it cannot list. The log
    keeps var gone_keys_log_days days (35): older keys go and the marker moves up. Deletions
    before the marker are not listed, so a reader whose last run is older than the marker
    compares every row instead (keys_gone_since_last_run), as it does without a log.

      gone_keys_logged(key_column, candidates_select, restart)  post-hook of the writing model
      keys_gone_since_last_run(upstream, key_column)           a select for a reading model
      incremental_delete_gone_rows (its own file)               uses the log when it covers

    Both sides stamp every row they write with the run stamp (recomputed_at), so the stamps
    mark what a run wrote: a key held after a run that re-examined it carries that run's
    stamp, and a key back upstream after it was logged carries a stamp after the log's. The
    lookups filter on those stamps as literals, so DuckDB skips the row groups written before
    (min/max per row group) instead of reading 6.4M keys. Only where the model is incremental:
    on Spark (plain tables, see incremental_materialization) nothing is logged or read.
-#}
{% macro gone_keys_relation(model_relation) -%}
    {{ return(model_relation.incorporate(path={"identifier": model_relation.identifier ~ "__gone"}, type="table")) }}
{%- endmacro %}

{#- Post-hook, after the model's deletions: logs the keys of `candidates_select` (a select of
    column key_column: the keys this run re-examined or deleted) that the model does not hold
    after this run. Starts the log anew on a full build, when there is none, and when
    `restart` (the run deleted keys it cannot list: readers then compare every row once). Use
    as a string, so it renders at run time. -#}
{% macro gone_keys_logged(key_column, candidates_select, restart=false) -%}
    {%- if execute and config.get('materialized') == 'incremental' -%}
    {%- set log = gone_keys_relation(this) -%}
    {%- if restart or not is_incremental() or load_relation(log) is none -%}
    {%- do adapter.drop_relation(log) %}
    create table {{ log }} as
    select
        cast(null as {{ dbt.type_string() }}) as gone_key,
        {{ run_stamp() }} as gone_at
    {%- else -%}
    {#- Keys older than var gone_keys_log_days go; the marker moves up to the oldest kept. -#}
    {%- set kept_from = dbt.dateadd('day', -1 * var('gone_keys_log_days', 35), run_stamp()) -%}
    {%- do run_query("delete from " ~ log ~ " where gone_key is not null and gone_at < " ~ kept_from) -%}
    {%- do run_query(
        "update " ~ log ~ " set gone_at = " ~ kept_from ~ " where gone_key is null and gone_at < " ~ kept_from
    ) %}
    insert into {{ log }} (gone_key, gone_at)
    select distinct
        candidates.{{ key_column }} as gone_key,
        {{ run_stamp() }} as gone_at
    from ({{ candidates_select }}) as candidates
    where candidates.{{ key_column }} is not null
        and not exists (
            select 1
            from {{ this }} as held_rows
            where held_rows.recomputed_at = {{ run_stamp() }}
                and held_rows.{{ key_column }} = candidates.{{ key_column }}
        )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The newest run stamp of this model's rows written before this run, as a timestamp literal
    (asked of the database when the macro renders): its last run, whether rendered before this
    run writes or in a post-hook after. A run that rewrote every row of the previous one leaves
    an older stamp: more is read, never less. -#}
{% macro last_run_stamp_before_this_run() -%}
    {%- set never = "cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- if not execute or config.get('materialized') != 'incremental' -%}
        {{ return(never) }}
    {%- endif -%}
    {%- set newest = run_query(
        "select max(recomputed_at) from " ~ this ~ " where recomputed_at < " ~ run_stamp()
    ).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(never) }}
    {%- endif -%}
    {{ return("cast('" ~ newest.strftime("%Y-%m-%d %H:%M:%S.%f") ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#- Whether `upstream`'s gone-keys log lists every key it dropped since this model's last run:
    it exists and started at or before that run. -#}
{% macro gone_keys_log_covers_last_run(upstream) -%}
    {%- set log = gone_keys_relation(upstream) -%}
    {%- if not execute or load_relation(log) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set markers = run_query(
        "select count(*) from " ~ log ~ " where gone_key is null and gone_at <= "
        ~ last_run_stamp_before_this_run()
    ) -%}
    {{ return(markers.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- The keys `upstream` logged since this model's last run, as key_column (some may be back). -#}
{% macro keys_logged_gone_since_last_run(upstream, key_column) -%}
    select gone_keys.gone_key as {{ key_column }}
    from {{ gone_keys_relation(upstream) }} as gone_keys
    where gone_keys.gone_key is not null
        and gone_keys.gone_at > {{ last_run_stamp_before_this_run() }}
{%- endmacro %}

{#- A select of the keys (as key_column) that are gone from `upstream` since this model's last
    run, and not back: from upstream's log when it covers that run (a key back upstream was
    written after this model's last run); otherwise every key this model holds that
    `upstream` no longer does. -#}
{% macro keys_gone_since_last_run(upstream, key_column) -%}
    {%- if gone_keys_log_covers_last_run(upstream) -%}
    {%- set last_run = last_run_stamp_before_this_run() -%}
    select logged.{{ key_column }}
    from ({{ keys_logged_gone_since_last_run(upstream, key_column) }}) as logged
    where not exists (
        select 1
        from {{ upstream }} as current_rows
        where current_rows.recomputed_at > {{ last_run }}
            and current_rows.{{ key_column }} = logged.{{ key_column }}
    )
    {%- else -%}
    select stored_rows.{{ key_column }}
    from {{ this }} as stored_rows
    where not exists (
        select 1
        from {{ upstream }} as current_rows
        where current_rows.{{ key_column }} = stored_rows.{{ key_column }}
    )
    {%- endif -%}
{%- endmacro %}

{#- Whether `relation` exists now, asked of the database: dbt's relation cache (load_relation)
    does not know the tables hooks create with plain SQL during the same invocation. For the
    hooks of incremental models: false where the model is a plain table (Spark, which has no
    information_schema). -#}
{% macro relation_exists_now(relation) -%}
    {%- if not execute or config.get('materialized') != 'incremental' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from information_schema.tables where lower(table_schema) = lower('"
        ~ relation.schema ~ "') and lower(table_name) = lower('" ~ relation.identifier ~ "')"
    ) -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
