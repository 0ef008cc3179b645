{#- The model's never-null columns, checked in one query: one dbt node per model instead of one
    per column. dbt spends ~40-60 ms on every test node whatever its query (compiling, a new
    connection, its events), and the per-column not_null tests were 178 of the 324 test nodes
    of a build: the same day's build at 10,000 leads took 23-26 s without them against 27-30 s
    (DECISIONLOG.md, session 20). One scan counts each column's nulls; a returned row names a
    column and how many of its rows are null, so a failure says which column. The `where`
    config filters `model` as it does for dbt's own tests (macro get_where_subquery). -#}
{% test not_null_columns(model, columns) %}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            "not_null_columns on " ~ model ~ ": `columns` lists no column") }}
    {%- endif %}

with null_counts as (

    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}__nulls
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}

)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    {{ column }}__nulls as null_rows
from null_counts
where {{ column }}__nulls > 0
{%- if not loop.last %}

union all

{% endif %}
{%- endfor %}
{% endtest %}
