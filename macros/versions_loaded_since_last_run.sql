{#-
    The source rows an incremental staging model reads: on a full build, all of them; on an
    incremental run, every stored version of each key that was (re)loaded since the last run
    (raw `_loaded_at` after the newest `loaded_at` in the model), so latest_versions picks
    among all versions of a key, as a full build would. Strictly after: one ingestion run
    stamps all its rows with one `_loaded_at` and each table's merge commits whole (a killed
    load's rows never commit; its rerun has a new stamp), so the newest stamp the model holds
    is a load it has read in full. `>=` re-read that whole load every run: the first daily run
    after a full load reprocessed every row (stg_map__activities 6.5 s incremental vs 5.2 s
    full at 100,000 leads). With vars backfill_from / backfill_to (`revops backfill`), also every
    key whose event_column falls in those days.
-#}
{% macro versions_loaded_since_last_run(source_relation, key_column, event_column=none) -%}
    select * from {{ source_relation }}
    {%- if is_incremental() %}
    where {{ key_column }} in (
        select {{ key_column }}
        from {{ source_relation }}
        where _loaded_at > (
            select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            from {{ this }}
        )
        {%- if event_column is not none and backfill_window() %}
            or {{ in_backfill_window(event_column) }}
        {%- endif %}
    )
    {%- endif %}
{%- endmacro %}
