{#- Selects every row of `touches` (a CTE or relation with is_sales_touch, utm_source and
    utm_medium) with the channel, channel group and marketing-credit eligibility the
    definitions give it now: a sales touch is channel 'sales'; any other takes the most
    specific rule of def_channel_mapping (source and medium, then source alone ('*' medium),
    then medium alone), else 'other'. Eligible: every touch when var
    attribution.include_sales_touches, else the touches that are not sales touches.
    fct_touchpoints assigns its touches with it, and checks its stored assignments with it. -#}
{% macro touch_channel_assigned(touches) -%}
    select
        {{ touches }}.*,
        case
            when {{ touches }}.is_sales_touch then 'sales'
            else coalesce(exact_rules.channel, source_rules.channel, medium_rules.channel, 'other')
        end as channel,
        case
            when {{ touches }}.is_sales_touch then 'sales'
            else coalesce(
                exact_rules.channel_group, source_rules.channel_group, medium_rules.channel_group, 'other'
            )
        end as channel_group,
        {% if var('attribution')['include_sales_touches'] -%}
        true as is_attribution_eligible
        {%- else -%}
        not {{ touches }}.is_sales_touch as is_attribution_eligible
        {%- endif %}
    from {{ touches }}
    left join {{ ref('def_channel_mapping') }} as exact_rules
        on {{ touches }}.utm_source = exact_rules.utm_source
        and {{ touches }}.utm_medium = exact_rules.utm_medium
    left join {{ ref('def_channel_mapping') }} as source_rules
        on {{ touches }}.utm_source = source_rules.utm_source
        and source_rules.utm_medium = '*'
    left join {{ ref('def_channel_mapping') }} as medium_rules
        on {{ touches }}.utm_medium = medium_rules.utm_medium
        and medium_rules.utm_source = '*'
{%- endmacro %}
