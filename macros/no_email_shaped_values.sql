{#- Marts are read by BI tools: they must not hold an email address in clear text (issue 3).
    Scans every text column of the model for a value shaped like an address ('x@y.z'); a
    returned row names a column and how many of its values look like one. The values are
    not returned, so a failure does not copy personal data into logs. Columns are read from
    the warehouse when the test runs, so a column added later is covered without listing it.
    `newest_run_only`: read only the rows the newest run (re)computed (macro
    recomputed_by_the_newest_run), for an incremental model whose other rows were tested when
    written; dbt's `where` config cannot serve here, since the columns come from the relation. -#}
{% test no_email_shaped_values(model, newest_run_only=false) %}
    {%- set text_columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- if column.is_string() -%}
                {%- do text_columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if text_columns %}
        {%- for column in text_columns %}
    select
        '{{ column }}' as column_name,
        count(*) as email_shaped_values
    from {{ model }}
    where {{ adapter.quote(column) }} like '%_@_%._%'
        {%- if newest_run_only %}
        and {{ recomputed_by_the_newest_run(model) }}
        {%- endif %}
    having count(*) > 0
            {%- if not loop.last %}

    union all
            {% endif -%}
        {%- endfor %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as column_name,
        0 as email_shaped_values
    where 1 = 0
    {%- endif %}
{% endtest %}
