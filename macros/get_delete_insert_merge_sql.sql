{#-
    dbt-duckdb's delete+insert deletes on a composite unique key with `delete ... using
    <the new rows>`: a join of the stored rows with every new row, which on fct_attribution
    (unique_key opportunity_id + attribution_model, 34M rows at 1M leads; the new rows are one
    per touch, many per key) took 1.57 s of a daily run. dbt's default form deletes where the
    key is in the distinct keys of the new rows: 0.41 s on the same rows (DECISIONLOG.md,
    session 12). PostgreSQL uses that default already; this gives DuckDB the same.
-#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {{ return(default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates)) }}
{%- endmacro %}
