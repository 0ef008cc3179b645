-- One pipeline number. The total of fct_opportunities in the reporting currency must equal
-- the CRM's own total: every live opportunity of the raw CRM table, converted here by the
-- same written rule (rate of the month of the created date, def_currency_rates, rate to USD
-- of the currency over that of var reporting_currency) but without any model in between.
--
-- A returned row means marketing and sales could cite different pipeline numbers: the two
-- totals differ by half a cent or more (0.005: both sides add the same unrounded amounts, so
-- anything larger is a lost, doubled or differently converted opportunity, not rounding),
-- the opportunity counts differ, or the CRM holds amounts that no rate converts.
{%- set reporting_currency = var('reporting_currency') %}

with

crm_versions as (

    {{ latest_versions(source('crm', 'crm_opportunity'), primary_key='id', version_column='system_modstamp') }}

),

crm_opportunities as (

    select
        amount,
        nullif(trim(currency_iso_code), '') as currency_iso_code,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as rate_month
    from crm_versions
    where not coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false)

),

currency_rates as (

    select * from {{ ref('def_currency_rates') }}

),

crm_converted as (

    select
        crm_opportunities.amount,
        case
            when crm_opportunities.currency_iso_code = '{{ reporting_currency }}'
                then crm_opportunities.amount
            else crm_opportunities.amount
                * cast(amount_rates.rate_to_usd as {{ type_double() }})
                / cast(reporting_rates.rate_to_usd as {{ type_double() }})
        end as amount_reporting
    from crm_opportunities
    left join currency_rates as amount_rates
        on crm_opportunities.currency_iso_code = amount_rates.currency_iso_code
        and crm_opportunities.rate_month = amount_rates.rate_month
    left join currency_rates as reporting_rates
        on reporting_rates.currency_iso_code = '{{ reporting_currency }}'
        and crm_opportunities.rate_month = reporting_rates.rate_month

),

crm_totals as (

    select
        count(*) as opportunity_count,
        coalesce(sum(amount_reporting), 0) as pipeline_total,
        sum(case when amount is not null and amount_reporting is null then 1 else 0 end)
            as unconverted_count
    from crm_converted

),

mart_totals as (

    select
        count(*) as opportunity_count,
        coalesce(sum(amount_reporting), 0) as pipeline_total
    from {{ ref('fct_opportunities') }}

),

final as (

    select
        crm_totals.opportunity_count as crm_opportunity_count,
        mart_totals.opportunity_count as mart_opportunity_count,
        crm_totals.pipeline_total as crm_pipeline_total,
        mart_totals.pipeline_total as mart_pipeline_total,
        crm_totals.unconverted_count as crm_unconverted_count
    from crm_totals
    cross join mart_totals

)

select * from final
where abs(crm_pipeline_total - mart_pipeline_total) >= 0.005
    or crm_opportunity_count <> mart_opportunity_count
    or crm_unconverted_count > 0
