{#- The custom fields a user listed for one raw table in var `passthrough_columns`
    ({raw table: [column, ...]}), one `column,` per line with a trailing comma, so the call
    sits inside a select list before its last column. Columns keep their raw type.

    A listed column the raw table lacks would otherwise surface as a database error naming
    only the column, or, on a typo in the table key, silently pass nothing through: both stop
    compilation here with the table and the column named. -#}
{% macro passthrough_columns(relation) -%}
    {%- set configured = var('passthrough_columns', {}) or {} -%}
    {%- if configured is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var passthrough_columns must map a raw table name to a list of columns, got: "
            ~ configured
        ) }}
    {%- endif -%}
    {%- set columns = configured.get(relation.identifier, []) or [] -%}
    {%- if columns is string or columns is mapping -%}
        {{ exceptions.raise_compiler_error(
            "var passthrough_columns: the entry for raw table '" ~ relation.identifier
            ~ "' must be a list of column names, got: " ~ columns
        ) }}
    {%- endif -%}

    {%- if execute -%}
        {%- set raw_tables = graph.sources.values() | map(attribute='identifier') | list -%}
        {%- for raw_table in configured -%}
            {%- if raw_table not in raw_tables -%}
                {{ exceptions.raise_compiler_error(
                    "var passthrough_columns names raw table '" ~ raw_table
                    ~ "', which is not a source table of this project; known raw tables: "
                    ~ raw_tables | sort | join(', ')
                ) }}
            {%- endif -%}
        {%- endfor -%}

        {%- if columns -%}
            {%- set raw_columns = adapter.get_columns_in_relation(relation)
                | map(attribute='name') | map('lower') | list -%}
            {%- if not raw_columns -%}
                {{ exceptions.raise_compiler_error(
                    "var passthrough_columns lists columns for raw table '" ~ relation.identifier
                    ~ "', but " ~ relation ~ " does not exist yet: load it before building"
                ) }}
            {%- endif -%}
            {%- for column in columns -%}
                {%- if column | lower not in raw_columns -%}
                    {{ exceptions.raise_compiler_error(
                        "var passthrough_columns lists column '" ~ column ~ "' for raw table '"
                        ~ relation.identifier ~ "', but " ~ relation ~ " has no column '" ~ column
                        ~ "'. Its columns: " ~ raw_columns | join(', ')
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}

    {%- for column in columns %}
        {{ column }},
    {%- endfor %}
{%- endmacro %}
