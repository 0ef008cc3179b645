{#- The moment this dbt invocation started (UTC), as a timestamp. An incremental model writes
    it as `recomputed_at` on every row it (re)computes; a model reading it finds the rows
    recomputed since its own last run by `recomputed_at` above the watermark it keeps
    (macro upstream_watermark_saved). -#}
{% macro run_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
