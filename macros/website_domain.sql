{#- 'https://www.Acme.com:443/pricing?x=1' -> 'acme.com': drop the scheme, then everything
    from the first '/', '?' or ':', then a leading 'www.'. -#}
{% macro website_domain(column) -%}
    {%- set url = 'lower(' ~ trimmed_or_null(column) ~ ')' -%}
    {%- set without_scheme -%}
        case when {{ url }} like '%://%' then {{ dbt.split_part(url, "'://'", 2) }} else {{ url }} end
    {%- endset -%}
    {%- set host = dbt.split_part(dbt.split_part(dbt.split_part(without_scheme, "'/'", 1), "'?'", 1), "':'", 1) -%}
    nullif(case when {{ host }} like 'www.%' then substring({{ host }}, 5) else {{ host }} end, '')
{%- endmacro %}
