{#- Versioned definitions (seeds def_mql_criteria, def_handoff_sla, def_icp_versions) hold
    effective_from (inclusive) and effective_to (exclusive, empty while open-ended): a version
    judges the records of the days it was in force. The day is the event's UTC date. -#}
{% macro in_force_on(definition, on_date) -%}
    (
        {{ definition }}.effective_from <= {{ on_date }}
        and ({{ definition }}.effective_to is null or {{ on_date }} < {{ definition }}.effective_to)
    )
{%- endmacro %}
