{#-
    The materialization of the big, incremental tables. Incremental (delete+insert on the
    unique key) where the engine can delete rows in place; a full table on Spark, whose
    Hive-format tables have no DELETE (merge needs Delta/Iceberg/Hudi). Models call it in
    their config: materialized=incremental_materialization().
-#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'revops')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
