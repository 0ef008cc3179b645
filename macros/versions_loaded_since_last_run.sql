{#-
    The source rows an incremental staging model reads: on a full build, all of them; on an
    incremental run, every stored version of each key that was (re)loaded since the last run
    (raw `_loaded_at` at or after the newest `loaded_at` in the model; `>=`, so rerunning the
    same load is idempotent), so latest_versions picks among all versions of a key, as a
    full build would. With vars backfill_from / backfill_to (`revops backfill`), also every
    key whose event_column falls in those days.
-#}
{% macro versions_loaded_since_last_run(source_relation, key_column, event_column=none) -%}
    select * from {{ source_relation }}
    {%- if is_incremental() %}
    where {{ key_column }} in (
        select {{ key_column }}
        from {{ source_relation }}
        where _loaded_at >= (
            select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            from {{ this }}
        )
        {%- if event_column is not none and backfill_window() %}
            or {{ in_backfill_window(event_column) }}
        {%- endif %}
    )
    {%- endif %}
{%- endmacro %}
