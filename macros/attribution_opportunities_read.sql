{#- The facts of an opportunity fct_attribution's rows carry, as (column of fct_opportunities,
    column of fct_attribution) pairs: a change in any of them recomputes the opportunity. -#}
{% macro attribution_opportunity_columns() -%}
    {{ return([
        ('account_id', 'account_id'), ('segment_code', 'segment_code'),
        ('created_date', 'opportunity_created_date'), ('created_at', 'opportunity_created_at'),
        ('close_date', 'opportunity_close_date'), ('is_closed', 'is_closed'), ('is_won', 'is_won'),
        ('sourced_by', 'crm_sourced_by'), ('amount_reporting', 'amount_reporting'),
    ]) }}
{%- endmacro %}

{#- Those facts of every opportunity as fct_attribution read them, under its column names: what
    its post-hook keeps in <model>__opps_read (input_copy_saved) for the next run to compare
    with. Reading them back from the stored rows instead (one row per opportunity of the
    reference model, out of 34M at 1M leads) took ~0.7 s of a daily run. -#}
{% macro attribution_opportunities_read_select() -%}
    select
        opportunity_id,
        {%- for current, stored in attribution_opportunity_columns() %}
        {{ current }} as {{ stored }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_opportunities') }}
{%- endmacro %}

{% macro attribution_opportunities_saved() -%}
    {{ input_copy_saved('opps', attribution_opportunities_read_select()) }}
{%- endmacro %}
