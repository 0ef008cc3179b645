{#-
    Seeds on Spark. dbt-spark's own loader (1.11) pastes every value between quotes into the
    INSERT unescaped, so a definition with an apostrophe ("the account's territory" in
    def_routing_rules and def_activity_types) ends the string early: a syntax error. It also
    writes an empty cell as the text 'None'. This one writes each value as a Spark SQL
    literal: backslashes and quotes escaped (Spark reads backslash escapes in string literals),
    empty cells as null, cast to the seed's column type like dbt-spark does. Root-project
    macros come before the adapter's in dbt's dispatch, so dbt's `load_csv_rows` picks this.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- do types.append(column_types.get(column_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}

    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {{ revops.spark_seed_literal(value, types[loop.index0]) }}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                ){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}

    {#- The SQL of the first batch is what dbt writes to the compiled seed file. -#}
    {{ return(statements[0]) }}
{% endmacro %}
