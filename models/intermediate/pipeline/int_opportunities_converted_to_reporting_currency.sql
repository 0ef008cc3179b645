{#- The currency rule: an amount is converted with the rate of the month of the opportunity's
    created date (rate_month = first day of that month), from def_currency_rates, where every
    currency has a monthly rate to USD:
        exchange_rate    = rate_to_usd(currency, month) / rate_to_usd(reporting currency, month)
        amount_reporting = amount * exchange_rate
    The created date, not the close date, so an opportunity's pipeline value does not move
    while it is open and the month's number never changes after the month ends. -#}
{%- set reporting_currency = var('reporting_currency') -%}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where not is_deleted

),

currency_rates as (

    select * from {{ ref('def_currency_rates') }}

),

opportunity_rate_months as (

    select
        opportunity_id,
        amount,
        currency_code as currency_iso_code,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as rate_month
    from opportunities

),

rates_joined as (

    select
        opportunity_rate_months.opportunity_id,
        opportunity_rate_months.amount,
        opportunity_rate_months.currency_iso_code,
        opportunity_rate_months.rate_month,
        cast(amount_rates.rate_to_usd as {{ type_double() }}) as currency_rate_to_usd,
        cast(reporting_rates.rate_to_usd as {{ type_double() }}) as reporting_rate_to_usd
    from opportunity_rate_months
    left join currency_rates as amount_rates
        on opportunity_rate_months.currency_iso_code = amount_rates.currency_iso_code
        and opportunity_rate_months.rate_month = amount_rates.rate_month
    left join currency_rates as reporting_rates
        on reporting_rates.currency_iso_code = '{{ reporting_currency }}'
        and opportunity_rate_months.rate_month = reporting_rates.rate_month

),

exchange_rates as (

    select
        opportunity_id,
        amount,
        currency_iso_code,
        rate_month,
        currency_rate_to_usd,
        reporting_rate_to_usd,
        -- An amount already in the reporting currency needs no rate, even in a month the seed
        -- has not reached yet; any other amount without both rates stays null (and fails the
        -- not_null test on exchange_rate, so a missing month is noticed).
        case
            when currency_iso_code = '{{ reporting_currency }}' then cast(1 as {{ type_double() }})
            else currency_rate_to_usd / reporting_rate_to_usd
        end as exchange_rate
    from rates_joined

),

final as (

    select
        opportunity_id,
        amount,
        currency_iso_code,
        rate_month,
        currency_rate_to_usd,
        reporting_rate_to_usd,
        exchange_rate,
        cast('{{ reporting_currency }}' as {{ dbt.type_string() }}) as reporting_currency_iso_code,
        amount * exchange_rate as amount_reporting
    from exchange_rates

)

select * from final
