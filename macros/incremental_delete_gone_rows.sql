{#-
    A post-hook for the incremental marts: deletes the rows whose key no longer exists in the
    model's source of keys (a touch whose task was deleted, an opportunity gone from the CRM).
    delete+insert replaces the rows it recomputes, but a row with nothing to recompute from
    would otherwise stay for ever. Where the source of keys keeps a gone-keys log covering this
    model's last run (macros/gone_keys_log.sql), the keys come from the log; otherwise every
    stored key is looked up in the source. Only on incremental runs: a full build has no such
    row, and Spark (a plain table there, see incremental_materialization) has no DELETE.
    Use as a string, so it renders at run time:
    post_hook="{{ incremental_delete_gone_rows('touchpoint_id', ref('int_touchpoints_unioned')) }}"
-#}
{% macro incremental_delete_gone_rows(key_column, keys_relation) -%}
    {%- if is_incremental() -%}
    {%- if gone_keys_log_covers_last_run(keys_relation) -%}
    delete from {{ this }}
    where {{ key_column }} in (
        {{ keys_gone_since_last_run(keys_relation, key_column) }}
    )
    {%- else -%}
    delete from {{ this }} as stored_rows
    where not exists (
        select 1
        from {{ keys_relation }} as current_keys
        where current_keys.{{ key_column }} = stored_rows.{{ key_column }}
    )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}
