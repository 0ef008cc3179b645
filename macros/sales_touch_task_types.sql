{#- The CRM task types that count as a sales touch (var sales_touch_task_types), as a list of
    string literals for `task_type in (...)`. -#}
{% macro sales_touch_task_types() -%}
    {%- for task_type in var('sales_touch_task_types') -%}
        {{ dbt.string_literal(task_type) }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
