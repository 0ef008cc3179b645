{#-
    One row per key of `records` that an ICP version with title keywords judges: whether the
    record's title holds one of the keywords (`has_title_keyword`, 1 or 0) of the version in
    `records.icp_version` for its segment. Keys without such a version get no row, so a left
    join leaves them null: unknown, not "no fit". `icp_rules` is the CTE over def_icp_rules.
-#}
{% macro icp_title_keyword_fits(records, record_key) -%}
    select
        {{ records }}.{{ record_key }},
        max(
            case
                when lower({{ records }}.title)
                    like {{ dbt.concat(["'%'", 'lower(icp_rules.rule_value)', "'%'"]) }}
                    then 1
                else 0
            end
        ) as has_title_keyword
    from {{ records }}
    inner join icp_rules
        on {{ records }}.segment_code = icp_rules.segment_code
        and {{ records }}.icp_version = icp_rules.icp_version
        and icp_rules.rule_type = 'title_keyword'
    group by {{ records }}.{{ record_key }}
{%- endmacro %}
