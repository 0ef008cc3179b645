{#-
    dbt.listagg on Spark, with the result DuckDB and PostgreSQL give. dbt-spark's own (1.11)
    ignores the order_by_clause (collect_list keeps whatever order the shuffle delivers) and
    returns '' where every value is null; dim_people.merged_record_ids then differed on 1 of 56
    people in order and was '' instead of null for 529 people at 500 leads.

    Here each non-null value is collected with its ordering keys, sorted, and joined; no value
    gives null. `order by a, b` is read as ascending with nulls last (the default of the other
    engines); a `desc` key, `nulls first` or an empty order is refused at compile time rather
    than silently ordered another way. Array functions only, so Spark 3.x clusters and
    Databricks run it too.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set keys = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if not clause.lower().startswith('order by ') -%}
            {{ exceptions.raise_compiler_error("listagg on Spark: expected 'order by ...', got '" ~ clause ~ "'") }}
        {%- endif -%}
        {%- for key in clause[9:].split(',') -%}
            {%- set key = key | trim -%}
            {%- set words = key.lower().split() -%}
            {%- if words[-1] == 'desc' or 'nulls' in words or key == '' -%}
                {{ exceptions.raise_compiler_error("listagg on Spark: only ascending keys are supported, got '" ~ order_by_clause ~ "'") }}
            {%- endif -%}
            {%- do keys.append(key[:-4] | trim if words[-1] == 'asc' else key) -%}
        {%- endfor -%}
    {%- endif -%}

    {%- set entries -%}
        filter(
            array_sort(collect_list(struct(
                {%- for key in keys %}
                {{ key }} is null as sort_key_{{ loop.index }}_is_null,
                {{ key }} as sort_key_{{ loop.index }},
                {%- endfor %}
                cast({{ measure }} as string) as listed_value
            ))),
            entry -> entry.listed_value is not null
        )
    {%- endset -%}
    {%- set values -%}
        transform({{ entries }}, entry -> entry.listed_value)
    {%- endset -%}
    {%- if limit_num -%}
        {%- set values -%} slice({{ values }}, 1, {{ limit_num }}) {%- endset -%}
    {%- endif -%}

    case
        when size({{ entries }}) > 0
            then array_join({{ values }}, {{ delimiter_text }})
    end
{%- endmacro %}
