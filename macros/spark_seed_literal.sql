{#-
    One seed cell as a Spark SQL literal of the column's type: `cast(null as <type>)` for an
    empty cell, otherwise the value as a quoted string with `\` and `'` escaped by a backslash
    (Spark's default string-literal syntax), cast to the type. Used by spark__load_csv_rows.
-#}
{% macro spark_seed_literal(value, data_type) -%}
    {%- if value is none -%}
        cast(null as {{ data_type }})
    {%- else -%}
        {%- set text = (value | string).replace('\\', '\\\\').replace("'", "\\'") -%}
        cast('{{ text }}' as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
